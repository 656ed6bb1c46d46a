using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Features.Protocols;

/// <summary>
/// `protocol import FILE [--check]`: the command-line twin of the administrator's import page, with the same
/// validation. Errors print as FILE:LINE:COLUMN: FIELD: MESSAGE. Exit code 0 imported (or already there), 1 invalid.
/// </summary>
public static class ProtocolCommand
{
    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (args is not ["import", var path, ..] || args.Skip(2).Any(a => a != "--check"))
        {
            await Console.Error.WriteLineAsync("Usage: protocol import <file.yaml> [--check]   (--check validates and reports without importing)");
            return 2;
        }

        if (!File.Exists(path))
        {
            await Console.Error.WriteLineAsync($"No such file: {path}");
            return 2;
        }

        var checkOnly = args.Contains("--check");
        var text = await File.ReadAllTextAsync(path);
        var fileName = Path.GetFileName(path);
        var startup = app.Services.GetRequiredService<DatabaseStartup>();
        await startup.ResolveAsync(CancellationToken.None);
        try
        {
            await using var scope = app.Services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TrialDbContext>().AuditActorOverride = AuditActor.System(ProtocolImportActor.CommandLine.Name);
            var importer = scope.ServiceProvider.GetRequiredService<ProtocolImporter>();
            var result = checkOnly
                ? await importer.PreviewAsync(text, fileName)
                : await importer.ImportAsync(text, fileName, ProtocolImportActor.CommandLine);
            foreach (var error in result.Load.Errors)
            {
                await Console.Error.WriteLineAsync($"{error.File}:{error.Line}:{error.Column}: {error.FieldPath}: {error.Message}");
            }

            var protocol = result.Protocol;
            var outcome = result.Kind switch
            {
                ProtocolImportKind.Invalid => $"{fileName}: {result.Load.Errors.Count} problem(s); nothing imported.",
                ProtocolImportKind.AlreadyImported => $"{protocol!.Code}: this content is already protocol version {result.Sequence} ({result.ExistingVersionLabel}); nothing imported.",
                ProtocolImportKind.NewTrial when checkOnly => $"{protocol!.Code} {protocol.Version}: valid; importing would create the trial.",
                ProtocolImportKind.Amendment when checkOnly => $"{protocol!.Code} {protocol.Version}: valid; importing would make amendment {result.Sequence}.",
                ProtocolImportKind.NewTrial => $"{protocol!.Code} {protocol.Version}: imported as a new trial (protocol version 1, hash {protocol.ContentHash}).",
                _ => $"{protocol!.Code} {protocol.Version}: imported as amendment {result.Sequence} (hash {protocol.ContentHash}).",
            };
            Console.WriteLine(outcome);
            return result.Kind == ProtocolImportKind.Invalid ? 1 : 0;
        }
        finally
        {
            await startup.StopAsync(CancellationToken.None);
        }
    }
}
