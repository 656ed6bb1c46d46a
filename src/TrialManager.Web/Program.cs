using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Audit;
using TrialManager.Web.Features.Documents;
using TrialManager.Web.Features.Exports;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Hosting;

// The container health check runs this same binary; answer it before building the whole app.
if (args is ["healthcheck", ..])
{
    return await HealthProbe.RunAsync(args.Length > 1 ? args[1] : "http://127.0.0.1:8080/health");
}

var builder = WebApplication.CreateBuilder(args);
builder.AddTrialManager();
var app = builder.Build();
app.UseTrialManager();
app.MapAuditEndpoints();
app.MapDocumentEndpoints();
app.MapUnblindingEndpoints();
app.MapExportEndpoints();

// Command-line entry points share the app's configuration: `dotnet run --project src/TrialManager.Web -- <command>`.
// Configuration arguments (--key=value, key=value) are not commands.
var command = args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal));
switch (command)
{
    case "migrate":
        {
            var startup = app.Services.GetRequiredService<DatabaseStartup>();
            await startup.ResolveAsync(CancellationToken.None);
            var applied = await app.Services.GetRequiredService<DatabaseMigrator>()
                .MigrateAsync(app.Services.GetRequiredService<DatabaseEndpoint>().ConnectionString);
            Console.WriteLine(applied.Count == 0 ? "The database is up to date." : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            if (await AuditGrants.ApplyConfiguredAsync(app.Configuration, app.Services.GetRequiredService<DatabaseEndpoint>().ConnectionString) is { } appRole)
            {
                Console.WriteLine($"The app's role {appRole} may read and append to the audit trail, not change it.");
            }
            await startup.StopAsync(CancellationToken.None);
            return 0;
        }

    case "protocol":
        return await ProtocolCommand.RunAsync(app, args.SkipWhile(a => a != "protocol").Skip(1).ToArray());

    case "audit":
        return await AuditCommand.RunAsync(app, args.SkipWhile(a => a != "audit").Skip(1).ToArray());

    case "schema-script":
        {
            // For migration authors: the schema the EF model expects, to diff against the migrations by hand.
            app.Services.GetRequiredService<DatabaseEndpoint>().UseForScripting();
            await using var scope = app.Services.CreateAsyncScope();
            Console.WriteLine(scope.ServiceProvider.GetRequiredService<TrialDbContext>().Database.GenerateCreateScript());
            return 0;
        }

    case null:
        await app.RunAsync();
        return 0;

    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: migrate, protocol import <file> [--check], audit verify, schema-script, healthcheck [url] (or none to run the web app).");
        return 2;
}

/// <summary>The web host's entry point; public so the tests' WebApplicationFactory can start it.</summary>
public partial class Program;
