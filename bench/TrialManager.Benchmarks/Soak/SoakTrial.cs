using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Benchmarks.Generation;
using TrialManager.Domain.Access;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Benchmarks.Soak;

/// <summary>
/// The soak's trial: the shipped psilocybin protocol (sites LON and BOS) with arm codes and labels no page would use
/// for anything else, so finding one of them on a blinded person's page can only be a leak. Set up in this process
/// through the app's own operations: the accounts through Identity, the protocol through the importer, the sealed
/// list and kits through <see cref="GenerateRandomizationList"/>.
/// </summary>
public sealed class SoakTrial
{
    public const string Code = "SOAK-01";
    public const string ActiveCode = "HELIO_ACT";
    public const string ControlCode = "SPHAG_CTL";
    public const string ActiveLabel = "Corncockle active capsule";
    public const string ControlLabel = "Sweetgale matching capsule";

    private SoakTrial(Guid trialId, Protocol protocol, string password, IReadOnlyDictionary<string, string> authenticatorKeys, IReadOnlyDictionary<string, TimeZoneInfo> siteZones)
    {
        TrialId = trialId;
        Protocol = protocol;
        Password = password;
        AuthenticatorKeys = authenticatorKeys;
        SiteZones = siteZones;
    }

    /// <summary>What no blinded person may ever read: both arm codes, both labels, and the labels' uncommon first words alone.</summary>
    public static IReadOnlyList<string> ArmSecrets { get; } = [ActiveCode, ControlCode, ActiveLabel, ControlLabel, "Corncockle", "Sweetgale"];

    public Guid TrialId { get; }

    public Protocol Protocol { get; }

    /// <summary>Every soak account's password (random per run).</summary>
    public string Password { get; }

    /// <summary>Authenticator keys of the accounts that sign in with a second factor, by e-mail.</summary>
    public IReadOnlyDictionary<string, string> AuthenticatorKeys { get; }

    public IReadOnlyDictionary<string, TimeZoneInfo> SiteZones { get; }

    public string? AuthenticatorKey(SoakPart part) => AuthenticatorKeys.GetValueOrDefault(part.Email);

    /// <summary>The date at the site now: what a person there types as "today".</summary>
    public DateOnly Today(string siteCode) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, SiteZones[siteCode]).DateTime);

    /// <summary>
    /// The shipped protocol with the soak's arms, and a list and stock sized for <paramref name="enrolmentsPerSite"/>:
    /// coordinators alternate the two baseline-severity strata, so each stratum takes about half a site's participants,
    /// plus a block's worth of margin; every participant takes two kits of their arm (baseline and week 3), and the two
    /// arms of a site differ by at most half the largest block per stratum.
    /// </summary>
    public static string ProtocolText(int enrolmentsPerSite)
    {
        var shipped = ProtocolLoader.Load(ScaleProtocol.ShippedText(), ScaleProtocol.ShippedFile).Protocol
            ?? throw new InvalidOperationException($"The shipped {ScaleProtocol.ShippedFile} does not load.");
        var sites = shipped.Sites.Select(s => new ProtocolSite(s.Code, s.Name, s.Country, s.TimeZone, s.DepotCode)).ToList();
        var text = ScaleProtocol.Text(sites, slotsPerStratum: (enrolmentsPerSite / 2) + 16, kitsPerSite: (2 * enrolmentsPerSite) + 32, trialCode: Code);
        // Each shipped arm becomes a soak arm: its label, and its code wherever it stands alone (the arm, the blinding guesses).
        foreach (var (arm, (code, label)) in shipped.Arms.Zip([(ActiveCode, ActiveLabel), (ControlCode, ControlLabel)]))
        {
            text = text.Replace("blinded_label: " + arm.BlindedLabel, "blinded_label: " + label, StringComparison.Ordinal);
            text = Regex.Replace(text, $@"(?<=[\s\[,]){Regex.Escape(arm.Code)}(?=[\s\],])", code);
        }

        return text;
    }

    /// <summary>Accounts for every part, the trial imported and its list and kits generated, on an empty database.</summary>
    public static async Task<SoakTrial> SetUpAsync(string connectionString, string masterKey, int enrolmentsPerSite)
    {
        var text = ProtocolText(enrolmentsPerSite);
        var loaded = ProtocolLoader.Load(text, Code + ".yaml");
        var protocol = loaded.Protocol ?? throw new InvalidOperationException("The soak protocol does not load: " + string.Join("; ", loaded.Errors));
        if (!protocol.Arms.Select(a => a.Code).Order(StringComparer.Ordinal).SequenceEqual([ActiveCode, ControlCode], StringComparer.Ordinal))
        {
            throw new InvalidOperationException("The shipped protocol changed: the soak's arms were not put in.");
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var app = new BenchApp(connectionString, masterKey);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
            foreach (var role in TrialRoles.All)
            {
                if (!await roles.RoleExistsAsync(role))
                {
                    Succeeded(await roles.CreateAsync(new IdentityRole(role)), role);
                }
            }

            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            foreach (var part in SoakCast.Accounts)
            {
                var user = new ApplicationUser { UserName = part.Email, Email = part.Email, DisplayName = part.DisplayName, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
                Succeeded(await users.CreateAsync(user, password), part.Email);
                Succeeded(await users.AddToRoleAsync(user, part.Role), part.Email);
                if (TrialRoles.RequireTwoFactor.Contains(part.Role))
                {
                    // As if the person had enrolled their authenticator app; the soak answers its codes.
                    Succeeded(await users.ResetAuthenticatorKeyAsync(user), part.Email);
                    Succeeded(await users.SetTwoFactorEnabledAsync(user, true), part.Email);
                    keys[part.Email] = (await users.GetAuthenticatorKeyAsync(user))!;
                }
            }
        }

        var admin = SoakCast.BlindedCrawlers.Single(p => p.Role == TrialRoles.Administrator).Email;
        var trialId = await app.AsUserAsync(admin, async services =>
        {
            var imported = await services.GetRequiredService<ProtocolImporter>().ImportAsync(text, Code + ".yaml", new ProtocolImportActor("soak", "soak set-up"));
            if (imported.Kind != ProtocolImportKind.NewTrial)
            {
                throw new InvalidOperationException($"The soak protocol did not import as a new trial ({imported.Kind}): {string.Join("; ", imported.Load.Errors)}");
            }

            var id = await services.GetRequiredService<TrialDbContext>().Trials.Where(t => t.Code == Code).Select(t => t.Id).SingleAsync();
            var generated = await services.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(id);
            return generated.Succeeded ? id : throw new InvalidOperationException("The list was not generated: " + string.Join(" ", generated.Outcome.Errors.SelectMany(e => e.Value)));
        });

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
            db.AuditActorOverride = AuditActor.System("soak set-up");
            var sites = await db.Sites.AsNoTracking().ToDictionaryAsync(s => s.Code, StringComparer.Ordinal);
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            foreach (var part in SoakCast.Accounts.Where(p => p.IsSiteStaff))
            {
                var user = await users.FindByEmailAsync(part.Email) ?? throw new InvalidOperationException(part.Email);
                db.SiteMemberships.Add(new SiteMembership { UserId = user.Id, SiteId = sites[part.SiteCode!].Id });
            }

            await db.SaveChangesAsync();
            var zones = sites.Values.ToDictionary(s => s.Code, s => TimeZoneInfo.FindSystemTimeZoneById(s.TimeZone), StringComparer.Ordinal);
            return new SoakTrial(trialId, protocol, password, keys, zones);
        }
    }

    private static void Succeeded(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
