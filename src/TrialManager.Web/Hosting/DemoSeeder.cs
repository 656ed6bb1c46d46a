using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Account;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Hosting;

public sealed record DemoCredential(string Role, string Email, string Password, IReadOnlyList<string> SiteCodes);

/// <summary>
/// Fills an empty database with a demo: the psilocybin trial imported from its shipped protocol (two sites) and one user per role (plus a coordinator at the
/// second site, so site scoping can be seen). Passwords are random, printed once and written to a private file
/// beside the data folder; they are never in the repository.
/// </summary>
public sealed class DemoSeeder(TrialDbContext db, UserManager<ApplicationUser> users, RoleManager<IdentityRole> roles, ProtocolImporter importer, TimeProvider clock, ILogger<DemoSeeder> logger)
{
    public const string CredentialsFileName = "demo-credentials.txt";
    public const string EmailDomain = "demo.trialmanager.test";
    public const string DemoProtocolFile = "psilocybin-mdd.yaml";

    public static IReadOnlyList<(string Role, string Local, string Name, string[] Sites)> People { get; } =
    [
        (TrialRoles.SiteCoordinator, "coordinator", "Casey Coordinator", ["LON"]),
        (TrialRoles.Investigator, "investigator", "Ines Investigator", ["LON"]),
        (TrialRoles.SafetyOfficer, "safety", "Sam Safety", []),
        (TrialRoles.DsmbMember, "dsmb", "Dana Board", []),
        (TrialRoles.DataManager, "datamanager", "Drew Data", []),
        (TrialRoles.Administrator, "admin", "Alex Admin", []),
        (TrialRoles.SiteCoordinator, "coordinator.bos", "Bo Coordinator", ["BOS"]),
        (TrialRoles.DepotManager, "depot", "Dee Depot", []),
        (TrialRoles.Investigator, "investigator.bos", "Ira Investigator", ["BOS"]),
    ];

    public async Task SeedIfEmptyAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (await db.Users.AnyAsync(cancellationToken))
        {
            return;
        }

        var credentials = await SeedAsync(cancellationToken);
        var text = new StringBuilder()
            .AppendLine("TrialManager demo accounts (local demo only; change or disable before any real use)")
            .AppendLine("SafetyOfficer and Administrator must enrol an authenticator app at first sign-in.")
            .AppendLine();
        foreach (var c in credentials)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{c.Role,-16} {c.Email,-44} {c.Password}  {string.Join(",", c.SiteCodes)}");
        }

        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, CredentialsFileName);
        await File.WriteAllTextAsync(path, text.ToString(), cancellationToken);
        PrivateFile.RestrictToOwner(path);
        // Printed once, to the console only (not through the log pipeline, which may be shipped elsewhere).
        Console.Out.WriteLine();
        Console.Out.WriteLine(text.ToString());
        Console.Out.WriteLine($"(also written to {path})");
        logger.LogInformation("Seeded the demo trial; credentials written to {Path}", path);
    }

    public async Task<IReadOnlyList<DemoCredential>> SeedAsync(CancellationToken cancellationToken)
    {
        db.AuditActorOverride = AuditActor.System("demo seed");
        foreach (var role in TrialRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole(role)));
            }
        }

        // The demo trial, and its sites, come from a shipped protocol through the same import an administrator uses.
        var path = Path.Combine(AppContext.BaseDirectory, "protocols", DemoProtocolFile);
        var imported = await importer.ImportAsync(await File.ReadAllTextAsync(path, cancellationToken), DemoProtocolFile, new ProtocolImportActor("demo-seed", "demo seed"), cancellationToken);
        if (imported.Kind is not (ProtocolImportKind.NewTrial or ProtocolImportKind.AlreadyImported))
        {
            throw new InvalidOperationException($"The demo protocol {path} did not import: {string.Join("; ", imported.Load.Errors)}");
        }

        var sites = await db.Sites.ToListAsync(cancellationToken);

        var credentials = new List<DemoCredential>();
        foreach (var (role, local, name, siteCodes) in People)
        {
            var email = $"{local}@{EmailDomain}";
            var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, CreatedAt = clock.GetUtcNow() };
            var password = OneTimePassword.New();
            Check(await users.CreateAsync(user, password));
            Check(await users.AddToRoleAsync(user, role));
            foreach (var code in siteCodes)
            {
                db.SiteMemberships.Add(new SiteMembership { UserId = user.Id, SiteId = sites.Single(s => s.Code == code).Id });
            }

            credentials.Add(new DemoCredential(role, email, password, siteCodes));
        }

        await db.SaveChangesAsync(cancellationToken);
        return credentials;
    }


    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
