using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Access;
using TrialManager.Domain.Supply;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Authorization;

/// <summary>
/// docs/authorization-matrix.md against the running app: every route has a row (so a page added without one fails
/// here), every row a route, and every GET page answers each role as its cell says.
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

    public static TheoryData<string> Audiences => [.. AuthorizationMatrix.Audiences];

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
            else if (!SameMethods(row.Methods, route.Methods))
            {
                problems.Add($"{route.Pattern}: the table says methods '{row.Methods}', the app takes '{route.MethodsText}'.");
            }
        }

        foreach (var row in rows.Where(r => routes.All(route => route.Pattern != r.Route)))
        {
            problems.Add($"docs/{AuthorizationMatrix.FileName} line {row.Line} names {row.Route}, which the app no longer serves.");
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [MemberData(nameof(Audiences))]
    public async Task Every_page_answers_each_audience_as_the_matrix_says(string audience)
    {
        var rows = AuthorizationMatrix.Load().ToDictionary(r => r.Route, StringComparer.Ordinal);
        var values = await RouteValuesAsync(app);
        using var browser = app.NewBrowser();
        if (audience != AuthorizationMatrix.Anonymous)
        {
            var local = DemoUserFor[audience];
            if (TrialRoles.RequireTwoFactor.Contains(audience))
            {
                await app.EnrolAuthenticatorAsync(local);
            }

            var home = await browser.SignInAsync(local);
            Assert.Equal("/", home.Path);
        }

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
            if (row.Allowed[audience])
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
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_matrix_reader_refuses_a_table_without_a_column_for_a_role()
    {
        string[] table =
        [
            "| Route | Methods | Anonymous | SiteCoordinator | Investigator | SafetyOfficer | DsmbMember | DataManager | Administrator |",
            "|---|---|---|---|---|---|---|---|---|",
            "| `/x` | GET | deny | allow | allow | allow | allow | allow | allow |",
        ];

        var error = Assert.Throws<InvalidOperationException>(() => AuthorizationMatrix.Parse(table));
        Assert.Contains("no column for DepotManager", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_matrix_reader_refuses_a_cell_that_is_neither_allow_nor_deny()
    {
        string[] table =
        [
            "| Route | Methods | Anonymous | SiteCoordinator | Investigator | SafetyOfficer | DsmbMember | DataManager | Administrator | DepotManager |",
            "|---|---|---|---|---|---|---|---|---|---|",
            "| `/x` | GET | deny | allow | allow | allow | maybe | allow | allow | deny |",
        ];

        var error = Assert.Throws<InvalidOperationException>(() => AuthorizationMatrix.Parse(table));
        Assert.Contains("/x / DsmbMember is 'maybe'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Real values for route parameters: ids the demo user of every role may see (by parameter name, or by
    /// "pattern|name" for one route). A parameter not named here gets a placeholder, and the page may answer 404.
    /// </summary>
    public static async Task<RouteValues> RouteValuesAsync(TrialApp app)
    {
        var trialCode = await app.WithDbAsync(db => db.Trials.OrderBy(t => t.CreatedAt).Select(t => t.Code).FirstAsync());
        var supply = await SupplyValuesAsync(app);
        return new(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SiteId"] = (await app.SiteIdAsync("LON")).ToString(),
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
            ["/trials/{Code}/supply|Code"] = SupplyTrialCode,
            ["/trials/{Code}/lots/new|Code"] = SupplyTrialCode,
            ["/trials/{Code}/sites/{SiteCode}/accountability|Code"] = SupplyTrialCode,
            ["/trials/{Code}/sites/{SiteCode}/accountability.pdf|Code"] = SupplyTrialCode,
            ["SiteCode"] = "LON",
            ["ShipmentId"] = supply.ShipmentId.ToString(),
            ["DestructionId"] = supply.DestructionId.ToString(),
            ["KitCode"] = supply.KitCode,
        });
    }

    /// <summary>The trial the drug supply pages are checked on: the demo protocol with its list and kits generated.</summary>
    public const string SupplyTrialCode = "MATRIX-SUPPLY";

    /// <summary>London's initial shipment, a destruction recorded at London (awaiting its witness), and a kit on London's shelf.</summary>
    public sealed record SupplyValues(Guid ShipmentId, Guid DestructionId, string KitCode);

    private static readonly SemaphoreSlim SupplyOnce = new(1, 1);

    /// <summary>
    /// Makes (once per app) <see cref="SupplyTrialCode"/> through the real operations: the list and kits generated (so
    /// each site has its initial shipment), one London kit quarantined and put forward for destruction by the London
    /// coordinator; then reads the ids the pages need.
    /// </summary>
    public static async Task<SupplyValues> SupplyValuesAsync(TrialApp app)
    {
        await SupplyOnce.WaitAsync();
        try
        {
            var london = await app.SiteIdAsync("LON");
            var trialId = await app.WithDbAsync(db => db.Trials.Where(t => t.Code == SupplyTrialCode).Select(t => (Guid?)t.Id).SingleOrDefaultAsync());
            if (trialId is null)
            {
                var trial = await RandomizationTrial.CreateAsync(app, SupplyTrialCode, kitsPerSite: 8, slotsPerStratum: 8);
                trialId = trial.TrialId;
                var code = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == london && k.State == KitState.AtSite)
                    .OrderBy(k => k.Code).Select(k => k.Code).FirstAsync());
                var quarantined = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordSiteKitEvent>()
                    .ExecuteAsync(trial.TrialId, london, code, SiteKitAction.Quarantine, "Carton crushed on the shelf."));
                Assert.True(quarantined.Succeeded, SafetyScenario.Describe(quarantined));
                var recorded = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDestruction>()
                    .ExecuteAsync(trial.TrialId, london, [code], "Incineration by licensed contractor", "", app.Account("coordinator").Password));
                Assert.True(recorded.Succeeded, SafetyScenario.Describe(recorded.Outcome));
            }

            return await app.WithDbAsync(async db => new SupplyValues(
                await db.Shipments.Where(s => s.TrialId == trialId && s.SiteId == london).OrderBy(s => s.Number).Select(s => s.Id).FirstAsync(),
                await db.KitDestructions.Where(d => d.TrialId == trialId && d.SiteId == london).Select(d => d.Id).FirstAsync(),
                await db.Kits.Where(k => k.TrialId == trialId && k.SiteId == london && k.State == KitState.AtSite).OrderBy(k => k.Code).Select(k => k.Code).FirstAsync()));
        }
        finally
        {
            SupplyOnce.Release();
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
