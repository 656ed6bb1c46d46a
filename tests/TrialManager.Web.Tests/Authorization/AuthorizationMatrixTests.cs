using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Access;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Authorization;

/// <summary>
/// docs/authorization-matrix.md against the running app: every route has a row (so a page added without one fails
/// here), every row a route, and every GET page (downloads included) answers each role as its cell says, once with
/// the objects of the site-scoped users' own site (London) in the address and once with another site's (Boston).
/// </summary>
public class AuthorizationMatrixTests(TrialApp app) : IClassFixture<TrialApp>
{
    /// <summary>The demo user who stands for each role.</summary>
    public static IReadOnlyDictionary<string, string> DemoUserFor { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [TrialRoles.SiteCoordinator] = "coordinator",
        [TrialRoles.Investigator] = "investigator",
        [TrialRoles.SafetyOfficer] = "safety",
        [TrialRoles.DsmbMember] = "dsmb",
        [TrialRoles.DataManager] = "datamanager",
        [TrialRoles.Administrator] = "admin",
        [TrialRoles.DepotManager] = "depot",
    };

    /// <summary>Route parameters that name something belonging to one site: a site-scoped role may only reach its own.</summary>
    public static IReadOnlySet<string> SiteOwnedParameters { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "SiteId", "SiteCode", "ParticipantId", "EventId", "ShipmentId", "DestructionId", "KitCode",
    };

    public static TheoryData<string, string> AudiencesAndSites
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var audience in AuthorizationMatrix.Audiences)
            {
                data.Add(audience, "LON");
                data.Add(audience, "BOS");
            }

            return data;
        }
    }

    [Fact]
    public void Every_route_of_the_app_has_a_row_and_every_row_is_a_route_of_the_app()
    {
        var routes = AppRoutes.Discover(app);
        var rows = AuthorizationMatrix.Load();
        var problems = new List<string>();

        foreach (var duplicate in rows.GroupBy(r => r.Route, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Key} has {duplicate.Count()} rows (lines {string.Join(", ", duplicate.Select(r => r.Line))}).");
        }

        foreach (var route in routes)
        {
            var row = rows.FirstOrDefault(r => r.Route == route.Pattern);
            if (row is null)
            {
                problems.Add($"{route.Pattern} ({route.MethodsText}) is served by the app but has no row in docs/{AuthorizationMatrix.FileName}.");
            }
            else
            {
                if (!SameMethods(row.Methods, route.Methods))
                {
                    problems.Add($"{route.Pattern}: the table says methods '{row.Methods}', the app takes '{route.MethodsText}'.");
                }

                var siteOwned = route.Parsed.Parameters.Any(p => SiteOwnedParameters.Contains(p.Name));
                if (siteOwned != row.OtherSiteNotFound)
                {
                    problems.Add($"{route.Pattern}: its address {(siteOwned ? "names" : "names nothing")} of a site's own, so its '{AuthorizationMatrix.OtherSite}' cell must be {(siteOwned ? "404" : "same")}.");
                }
            }
        }

        foreach (var row in rows.Where(r => routes.All(route => route.Pattern != r.Route)))
        {
            problems.Add($"docs/{AuthorizationMatrix.FileName} line {row.Line} names {row.Route}, which the app no longer serves.");
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [MemberData(nameof(AudiencesAndSites))]
    public async Task Every_page_answers_each_audience_as_the_matrix_says(string audience, string site)
    {
        var rows = AuthorizationMatrix.Load().ToDictionary(r => r.Route, StringComparer.Ordinal);
        var values = await RouteValuesAsync(app, site);
        var ownSite = site == "LON";
        using var browser = audience == AuthorizationMatrix.Anonymous ? app.NewBrowser() : await app.SignedInAsync(DemoUserFor[audience]);

        var problems = new List<string>();
        var checkedPages = 0;
        foreach (var (route, url, placeholder) in AppRoutes.GetPages(app, values))
        {
            if (!rows.TryGetValue(route.Pattern, out var row))
            {
                problems.Add($"{route.Pattern}: no row in the matrix (see the other test).");
                continue;
            }

            var page = await browser.GetAsync(url, follow: false);
            checkedPages++;
            var outcome = Describe(page);
            if (!ownSite && row.Allowed[audience] && row.OtherSiteNotFound && TrialRoles.SiteScoped.Contains(audience))
            {
                if (page.Status != HttpStatusCode.NotFound)
                {
                    problems.Add($"{url}: names another site's object, so {audience} must get 404, but the app answered {outcome}.");
                }
            }
            else if (row.Allowed[audience])
            {
                if (!(page.Status == HttpStatusCode.OK || (placeholder && page.Status == HttpStatusCode.NotFound)))
                {
                    problems.Add($"{url}: the matrix allows {audience}, but the app answered {outcome}.");
                }
            }
            else if (!IsDenied(page, audience))
            {
                problems.Add($"{url}: the matrix denies {audience}, but the app answered {outcome}.");
            }
        }

        Assert.True(checkedPages > 10, $"Only {checkedPages} pages were found; the route discovery is broken.");
        Assert.Contains(AppRoutes.GetPages(app, values), p => p.Route.Parsed.Parameters.Any(x => x.Name == "ParticipantId") && !p.Placeholder);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_matrix_reader_refuses_a_table_without_a_column_for_a_role()
    {
        string[] table =
        [
            "| Route | Methods | Anonymous | SiteCoordinator | Investigator | SafetyOfficer | DsmbMember | DataManager | Administrator | Other site |",
            "|---|---|---|---|---|---|---|---|---|---|",
            "| `/x` | GET | deny | allow | allow | allow | allow | allow | allow | same |",
        ];

        var error = Assert.Throws<InvalidOperationException>(() => AuthorizationMatrix.Parse(table));
        Assert.Contains("no column for DepotManager", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_matrix_reader_refuses_a_cell_that_is_neither_allow_nor_deny()
    {
        string[] table =
        [
            "| Route | Methods | Anonymous | SiteCoordinator | Investigator | SafetyOfficer | DsmbMember | DataManager | Administrator | DepotManager | Other site |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            "| `/x` | GET | deny | allow | allow | allow | maybe | allow | allow | deny | same |",
        ];

        var error = Assert.Throws<InvalidOperationException>(() => AuthorizationMatrix.Parse(table));
        Assert.Contains("/x / DsmbMember is 'maybe'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_matrix_reader_refuses_an_other_site_cell_that_is_neither_404_nor_same()
    {
        string[] table =
        [
            "| Route | Methods | Anonymous | SiteCoordinator | Investigator | SafetyOfficer | DsmbMember | DataManager | Administrator | DepotManager | Other site |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            "| `/x/{SiteId}` | GET | deny | allow | allow | allow | allow | allow | allow | deny | 403 |",
        ];

        var error = Assert.Throws<InvalidOperationException>(() => AuthorizationMatrix.Parse(table));
        Assert.Contains("/x/{SiteId} / Other site is '403'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Real values for route parameters: ids the demo user of every role may see (by parameter name, or by
    /// "pattern|name" for one route). Objects that belong to a site (participant, event, kit, shipment, destruction,
    /// the site itself) are <paramref name="site"/>'s: London is the site-scoped demo users' own, Boston another site.
    /// A parameter not named here gets a placeholder, and the page may answer 404.
    /// </summary>
    public static async Task<RouteValues> RouteValuesAsync(TrialApp app, string site = "LON")
    {
        var trialCode = await app.WithDbAsync(db => db.Trials.OrderBy(t => t.CreatedAt).Select(t => t.Code).FirstAsync());
        var objects = await SiteObjectsAsync(app, site);
        return new(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SiteId"] = objects.SiteId.ToString(),
            ["UserId"] = await app.UserIdAsync("coordinator"),
            ["/status/{Code:int}|Code"] = "404",
            ["/trials/{Code}|Code"] = trialCode,
            ["/trials/{Code}/simulation|Code"] = trialCode,
            ["/trials/{Code}/blank-crf.pdf|Code"] = trialCode,
            ["/trials/{Code}/allocation-list|Code"] = trialCode,
            ["/trials/{Code}/lock|Code"] = trialCode,
            ["/trials/{Code}/exports|Code"] = trialCode,
            ["/trials/{Code}/exports/odm|Code"] = trialCode,
            ["/trials/{Code}/exports/csv|Code"] = trialCode,
            ["/trials/{Code}/blinding|Code"] = trialCode,
            ["/trials/{Code}/dsmb/closed|Code"] = trialCode,
            ["/trials/{Code}/dsmb/open|Code"] = trialCode,
            ["/trials/{Code}/dsmb/closed.pdf|Code"] = trialCode,
            ["/trials/{Code}/dsmb/open.pdf|Code"] = trialCode,
            ["/trials/{Code}/supply|Code"] = MatrixTrialCode,
            ["/trials/{Code}/lots/new|Code"] = MatrixTrialCode,
            ["/trials/{Code}/sites/{SiteCode}/accountability|Code"] = MatrixTrialCode,
            ["/trials/{Code}/sites/{SiteCode}/accountability.pdf|Code"] = MatrixTrialCode,
            ["SiteCode"] = objects.SiteCode,
            ["ShipmentId"] = objects.ShipmentId.ToString(),
            ["DestructionId"] = objects.DestructionId.ToString(),
            ["KitCode"] = objects.KitCode,
            ["ParticipantId"] = objects.ParticipantId.ToString(),
            ["EventId"] = objects.EventId.ToString(),
            ["VisitCode"] = "D0",
            // Blinding guesses are taken only at the visits the protocol names for them.
            ["/participants/{ParticipantId:guid}/visits/{VisitCode}/blinding|VisitCode"] = "W3",
            ["FormCode"] = "DEP9",
        });
    }

    /// <summary>The trial whose site objects fill the routes: the demo protocol with its list and kits generated.</summary>
    public const string MatrixTrialCode = "MATRIX-SUPPLY";

    /// <summary>
    /// One site's objects in <see cref="MatrixTrialCode"/>: its initial shipment, a destruction recorded there (awaiting
    /// its witness), a kit on its shelf, a participant randomized there and an adverse event of that participant.
    /// </summary>
    public sealed record SiteObjects(string SiteCode, Guid SiteId, Guid ShipmentId, Guid DestructionId, string KitCode, Guid ParticipantId, Guid EventId);

    private static readonly SemaphoreSlim ObjectsOnce = new(1, 1);

    // Read once per app and site: tests that post hostile forms change kits and destructions afterwards, and the ids
    // must stay the same for every role.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrialApp, Dictionary<string, SiteObjects>> MadeObjects = [];

    /// <summary>
    /// Makes (once per app and site) the site's objects through the real operations, as that site's own coordinator:
    /// the trial's list and kits generated (so each site has its initial shipment), one kit quarantined and put forward
    /// for destruction, one participant randomized and an adverse event reported; then reads the ids the pages need.
    /// </summary>
    public static async Task<SiteObjects> SiteObjectsAsync(TrialApp app, string site = "LON")
    {
        var coordinator = site == "LON" ? "coordinator" : site == "BOS" ? "coordinator.bos" : throw new ArgumentOutOfRangeException(nameof(site));
        await ObjectsOnce.WaitAsync();
        try
        {
            var made = MadeObjects.GetOrCreateValue(app);
            if (made.TryGetValue(site, out var known))
            {
                return known;
            }

            var siteId = await app.SiteIdAsync(site);
            var trialId = await app.WithDbAsync(db => db.Trials.Where(t => t.Code == MatrixTrialCode).Select(t => (Guid?)t.Id).SingleOrDefaultAsync())
                ?? (await RandomizationTrial.CreateAsync(app, MatrixTrialCode, kitsPerSite: 8, slotsPerStratum: 8)).TrialId;
            if (!await app.WithDbAsync(db => db.KitDestructions.AnyAsync(d => d.TrialId == trialId && d.SiteId == siteId)))
            {
                var code = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trialId && k.SiteId == siteId && k.State == KitState.AtSite)
                    .OrderBy(k => k.Code).Select(k => k.Code).FirstAsync());
                var quarantined = await app.AsUserAsync(coordinator, s => s.GetRequiredService<RecordSiteKitEvent>()
                    .ExecuteAsync(trialId, siteId, code, SiteKitAction.Quarantine, "Carton crushed on the shelf."));
                Assert.True(quarantined.Succeeded, SafetyScenario.Describe(quarantined));
                var recorded = await app.AsUserAsync(coordinator, s => s.GetRequiredService<RecordDestruction>()
                    .ExecuteAsync(trialId, siteId, [code], "Incineration by licensed contractor", "", app.Account(coordinator).Password));
                Assert.True(recorded.Succeeded, SafetyScenario.Describe(recorded.Outcome));

                var trial = await RandomizationTrial.CreateFromExistingAsync(app, trialId);
                var participant = (await trial.AddEligibleParticipantsAsync(app, site, 1)).Single();
                var randomized = await app.AsUserAsync(coordinator, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(participant));
                Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));
                await app.ReportAsync(coordinator, participant, app.NonSerious(site));
            }

            return made[site] = await app.WithDbAsync(async db => new SiteObjects(
                site,
                siteId,
                await db.Shipments.Where(s => s.TrialId == trialId && s.SiteId == siteId).OrderBy(s => s.Number).Select(s => s.Id).FirstAsync(),
                await db.KitDestructions.Where(d => d.TrialId == trialId && d.SiteId == siteId).Select(d => d.Id).FirstAsync(),
                await db.Kits.Where(k => k.TrialId == trialId && k.SiteId == siteId && k.State == KitState.AtSite).OrderBy(k => k.Code).Select(k => k.Code).FirstAsync(),
                await db.Participants.Where(p => p.TrialId == trialId && p.SiteId == siteId && p.Status == ParticipantStatus.Randomized).Select(p => p.Id).FirstAsync(),
                await db.AdverseEvents.Where(e => e.SiteId == siteId && db.Participants.Any(p => p.Id == e.ParticipantId && p.TrialId == trialId)).Select(e => e.Id).FirstAsync()));
        }
        finally
        {
            ObjectsOnce.Release();
        }
    }

    private static bool SameMethods(string written, IReadOnlyList<string> served) =>
        written.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Order(StringComparer.Ordinal)
            .SequenceEqual(served.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    private static bool IsDenied(Page page, string audience)
    {
        var location = page.Response.Headers.Location?.ToString() ?? "";
        var path = location.Split('?')[0].Replace("https://localhost", "", StringComparison.Ordinal);
        return audience == AuthorizationMatrix.Anonymous
            ? page.Status == HttpStatusCode.Redirect && path.Equals("/Account/Login", StringComparison.OrdinalIgnoreCase)
            : page.Status == HttpStatusCode.Forbidden
              || (page.Status == HttpStatusCode.Redirect && path.Equals("/Account/AccessDenied", StringComparison.OrdinalIgnoreCase));
    }

    private static string Describe(Page page) =>
        page.Response.Headers.Location is { } location ? $"{(int)page.Status} → {location}" : $"{(int)page.Status}";
}
