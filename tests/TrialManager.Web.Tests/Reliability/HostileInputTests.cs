using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Dsmb;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// Hostile input on every form each role can reach, generated from the forms the pages render (so a new form is
/// covered without being listed): every field gets the hostile values (wrong types, boundaries, huge, unicode, control
/// characters, HTML and script, SQL-looking text, other sites' ids), and every form is also posted with its fields
/// missing, with every field given twice, and to the same address with another site's record in it. Each answer must
/// be a page or a 4xx, never a 5xx, never a stack trace, never the script back unescaped, never a redirect off the
/// site; a page that shows a validation message must have written nothing; a site-scoped user must never cause a
/// write at another site; and the app must log no error.
/// </summary>
public class HostileInputTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>
{
    public const string AnonymousUser = "anonymous";

    /// <summary>Demo users, one per role, and nobody signed in.</summary>
    public static TheoryData<string> Users => [AnonymousUser, .. AuthorizationMatrixTests.DemoUserFor.Values];

    [Theory]
    [MemberData(nameof(Users))]
    public async Task Every_form_refuses_hostile_input_cleanly_and_saves_nothing_half_way(string local)
    {
        var run = await HostileRun.StartAsync(app, local);
        var forms = (await run.FormsAsync()).Where(f => f.Method == "POST").ToList();
        Assert.True(forms.Count >= (local is "coordinator" or "investigator" ? 10 : 1), $"{local}: only {forms.Count} forms were found: {string.Join(", ", forms.Select(f => f.Key))}");

        var posts = 0;
        foreach (var unfilled in forms)
        {
            // A signed-in user's own password in password fields, so the other fields' values are what gets judged.
            var form = local == AnonymousUser ? unfilled : unfilled with
            {
                Fields = [.. unfilled.Fields.Select(f => f.IsSecret ? f with { Value = app.Account(local).Password } : f)],
            };
            foreach (var (label, body) in Variants(form, run.OtherSiteIds))
            {
                await run.PostAsync(form, form.Action, body, label);
                posts++;
            }

            if (run.OtherSiteAddress(form.Action) is { } forged)
            {
                await run.PostAsync(form, forged, form.Body(), "unchanged, to another site's record");
                posts++;
            }
        }

        output.WriteLine($"{local}: {forms.Count} forms, {posts} hostile posts: {string.Join(", ", forms.Select(f => f.Key))}");
        run.AssertClean();
    }

    [Theory]
    [MemberData(nameof(Users))]
    public async Task Every_query_string_refuses_hostile_input_cleanly(string local)
    {
        var run = await HostileRun.StartAsync(app, local);
        var targets = await run.QueryTargetsAsync();
        Assert.True(local == AnonymousUser || targets.Count > 0 || local is "depot" or "dsmb", $"{local}: no page with a query string was found");

        var requests = 0;
        foreach (var (path, names) in targets)
        {
            var values = HostileValues.Common.Concat(HostileValues.Numbers).Concat(HostileValues.Dates).Concat(HostileValues.Ids(run.OtherSiteIds));
            foreach (var value in values)
            {
                foreach (var name in names)
                {
                    await run.GetAsync($"{path}?{Uri.EscapeDataString(name)}={value.Encoded}", $"{name} = {value.Label}");
                    requests++;
                }

                // Every parameter at once, and each given twice.
                await run.GetAsync($"{path}?{string.Join('&', names.SelectMany(n => new[] { $"{n}={value.Encoded}", $"{n}=1" }))}", $"all parameters = {value.Label}, twice");
                requests++;
            }
        }

        output.WriteLine($"{local}: {requests} hostile queries over {string.Join(", ", targets.Select(t => $"{t.Path} ({string.Join(" ", t.Names)})"))}");
        run.AssertClean();
    }

    [Fact]
    public async Task A_nul_character_anywhere_is_refused_with_a_400_that_says_why_and_saves_nothing()
    {
        // PostgreSQL text cannot hold NUL: before the guard, "?site=a%00b" on /adverse-events was a 500.
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var page = await browser.GetAsync("/participants/new");
        var before = await app.WithDbAsync(db => db.Participants.CountAsync());

        var posted = await browser.SubmitAsync(page, "register-participant", ("Input.YearOfBirth", "1984"), ("Input.Sex", "female"), ("Input.ConsentedOn", "2026-11-01"), ("Input.ConsentFormVersion", "2.0\0"));
        var queried = await browser.GetAsync("/adverse-events?site=LON%00", follow: false);
        foreach (var refused in new[] { posted, queried })
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("NUL character", refused.Text, StringComparison.Ordinal);
            Assert.Contains("Nothing was saved", refused.Text, StringComparison.Ordinal);
        }

        Assert.Equal(before, await app.WithDbAsync(db => db.Participants.CountAsync()));
        // The same form without the NUL goes through: the refusal was about the character, not the form.
        var registered = await browser.SubmitAsync(page, "register-participant", ("Input.YearOfBirth", "1984"), ("Input.Sex", "female"), ("Input.ConsentedOn", "2026-11-01"), ("Input.ConsentFormVersion", "2.0"));
        Assert.StartsWith("/participants/", registered.Path, StringComparison.Ordinal);
        Assert.Equal(before + 1, await app.WithDbAsync(db => db.Participants.CountAsync()));
    }

    /// <summary>Each field with each value that fits it, then the form-level variants.</summary>
    private static IEnumerable<(string Label, string Body)> Variants(PageForm form, IReadOnlyList<(string Label, string Id)> otherSiteIds)
    {
        foreach (var field in form.Fields)
        {
            var values = HostileValues.Common.ToList();
            if (HostileValues.LooksNumeric(field.Type, field.Name, field.Value))
            {
                values.AddRange(HostileValues.Numbers);
            }

            if (HostileValues.LooksLikeDate(field.Type, field.Value))
            {
                values.AddRange(HostileValues.Dates);
            }

            if (HostileValues.LooksLikeId(field.Name, [field.Value, .. field.Choices]))
            {
                values.AddRange(HostileValues.Ids(otherSiteIds));
            }

            foreach (var value in values)
            {
                yield return ($"{field.Name} = {value.Label}", form.Body(new Dictionary<string, string> { [field.Name] = value.Encoded }));
            }
        }

        yield return ("every field missing", form.Body(withFields: false));
        yield return ("every field given twice", form.Body(duplicated: true));
        yield return ("no handler and no fields", form.Token.Length > 0 ? $"{PageForm.TokenField}={Uri.EscapeDataString(form.Token)}" : "");
    }
}

/// <summary>One user's hostile run: the signed-in browser, what the user may reach, and the problems found so far.</summary>
internal sealed class HostileRun
{
    private readonly TrialApp _app;
    private readonly string _local;
    private readonly string? _role;
    private readonly string _userId;
    private readonly AuthorizationMatrixTests.SiteObjects _own;
    private readonly AuthorizationMatrixTests.SiteObjects _other;
    private readonly List<string> _problems = [];
    private TestBrowser _browser;
    private int _logLinesSeen;

    private HostileRun(TrialApp app, string local, string userId, TestBrowser browser, AuthorizationMatrixTests.SiteObjects own, AuthorizationMatrixTests.SiteObjects other)
    {
        _app = app;
        _local = local;
        _role = AuthorizationMatrixTests.DemoUserFor.FirstOrDefault(r => r.Value == local).Key;
        _userId = userId;
        _browser = browser;
        _own = own;
        _other = other;
        _logLinesSeen = app.Logs.Lines.Count;
        OtherSiteIds =
        [
            ("site", other.SiteId.ToString()), ("participant", other.ParticipantId.ToString()), ("adverse event", other.EventId.ToString()),
            ("shipment", other.ShipmentId.ToString()), ("destruction", other.DestructionId.ToString()),
        ];
    }

    public IReadOnlyList<(string Label, string Id)> OtherSiteIds { get; }

    private bool SiteScoped => _role is not null && TrialRoles.SiteScoped.Contains(_role);

    public static async Task<HostileRun> StartAsync(TrialApp app, string local)
    {
        var own = await AuthorizationMatrixTests.SiteObjectsAsync(app, "LON");
        var other = await AuthorizationMatrixTests.SiteObjectsAsync(app, "BOS");
        var userId = local == HostileInputTests.AnonymousUser ? "" : await app.UserIdAsync(local);
        return new HostileRun(app, local, userId, await SignInAsync(app, local), own, other);
    }

    /// <summary>Every form on every page the matrix lets this user open, one per address and handler.</summary>
    public async Task<List<PageForm>> FormsAsync()
    {
        var forms = new Dictionary<string, PageForm>(StringComparer.Ordinal);
        await foreach (var (_, url, page) in AllowedPagesAsync())
        {
            if (page is null)
            {
                continue;
            }

            foreach (var form in PageForm.Read(url, page.Document))
            {
                // Signing out ends the run's session; the account forms are the same for every role, so one role covers them.
                var action = form.Action.Split('?')[0];
                if (action.Equals("/Account/Logout", StringComparison.OrdinalIgnoreCase)
                    || (action.StartsWith("/Account/", StringComparison.OrdinalIgnoreCase) && _local is not ("coordinator" or HostileInputTests.AnonymousUser)))
                {
                    continue;
                }

                forms.TryAdd(form.Key, form);
            }
        }

        // Forms that change what later forms may do (locking the trial, the user's own account) go last.
        return [.. forms.Values.OrderBy(f => f.Action.Contains("/lock", StringComparison.Ordinal) || f.Action.StartsWith("/Account/Manage", StringComparison.Ordinal)).ThenBy(f => f.Key, StringComparer.Ordinal)];
    }

    /// <summary>Pages taking query strings: the fields of their GET forms and the parameters of their own links.</summary>
    public async Task<List<(string Path, List<string> Names)>> QueryTargetsAsync()
    {
        var targets = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Add(string path, IEnumerable<string> names)
        {
            if (!targets.TryGetValue(path, out var set))
            {
                targets[path] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(names.Where(n => n.Length > 0));
        }

        var declared = AppRoutes.DeclaredQueryParameters();
        await foreach (var (pattern, url, page) in AllowedPagesAsync())
        {
            if (declared.TryGetValue(pattern, out var names))
            {
                Add(url, names);
            }

            if (page is null)
            {
                continue;
            }

            foreach (var form in PageForm.Read(url, page.Document).Where(f => f.Method == "GET"))
            {
                Add(form.Action.Split('?')[0], form.Fields.Select(f => f.Name));
            }

            foreach (var href in page.Links.Where(h => h.StartsWith('/') && !h.StartsWith("//", StringComparison.Ordinal) && h.Contains('?', StringComparison.Ordinal)))
            {
                var (path, query) = (href[..href.IndexOf('?', StringComparison.Ordinal)], href[(href.IndexOf('?', StringComparison.Ordinal) + 1)..]);
                Add(path, query.Split('&').Select(p => Uri.UnescapeDataString(p.Split('=')[0])));
            }
        }

        return [.. targets.Where(t => t.Value.Count > 0).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value.Order(StringComparer.Ordinal).ToList()))];
    }

    /// <summary>The address with this site's record replaced by the other site's, or null when it names none.</summary>
    public string? OtherSiteAddress(string action)
    {
        var swaps = new (string Own, string Other)[]
        {
            (_own.ParticipantId.ToString(), _other.ParticipantId.ToString()), (_own.EventId.ToString(), _other.EventId.ToString()),
            (_own.SiteId.ToString(), _other.SiteId.ToString()), (_own.ShipmentId.ToString(), _other.ShipmentId.ToString()),
            (_own.DestructionId.ToString(), _other.DestructionId.ToString()), ($"/kits/{_own.KitCode}", $"/kits/{_other.KitCode}"),
            ($"/sites/{_own.SiteCode}/", $"/sites/{_other.SiteCode}/"),
        };
        var forged = action;
        foreach (var (own, other) in swaps)
        {
            forged = forged.Replace(own, other, StringComparison.OrdinalIgnoreCase);
        }

        return forged == action ? null : forged;
    }

    public async Task PostAsync(PageForm form, string address, string body, string label)
    {
        var before = await LastAuditIdAsync();
        var answer = await _browser.PostEncodedAsync(address, body, follow: false);
        var what = $"{_local} POST {address} [{form.Handler}] {label}";
        await CheckAsync(what, answer, before);
        if (answer.Status == HttpStatusCode.OK && answer.Document.QuerySelectorAll(".validation-message, .validation-errors li").Any(e => e.TextContent.Trim().Length > 0))
        {
            var written = await WritesSinceAsync(before);
            if (written.Count > 0)
            {
                _problems.Add($"{what}: shows a validation message, yet wrote {string.Join(", ", written)} (half-saved).");
            }
        }

        if (form.Fields.Any(f => f.IsSecret) && _userId.Length > 0)
        {
            await ForgetFailedPasswordsAsync();
        }
    }

    public async Task GetAsync(string url, string label)
    {
        var before = await LastAuditIdAsync();
        var answer = await _browser.GetAsync(url, follow: false);
        await CheckAsync($"{_local} GET {url[..Math.Min(url.Length, 120)]} ({label})", answer, before);
    }

    public void AssertClean()
    {
        NewLogErrors("at the end");
        Assert.True(_problems.Count == 0, $"{_problems.Count} problems:{Environment.NewLine}{string.Join(Environment.NewLine, _problems.Take(40))}");
    }

    private async Task CheckAsync(string what, Page answer, long before)
    {
        if ((int)answer.Status >= 500)
        {
            _problems.Add($"{what}: {(int)answer.Status}");
        }

        if (HostileValues.Reflects(answer.Html))
        {
            _problems.Add($"{what}: the page carries the script back unescaped.");
        }

        if (HostileValues.InternalDetail(answer.Html) is { } detail)
        {
            _problems.Add($"{what}: the page shows an internal detail: {detail}");
        }

        if (answer.Response.Headers.Location is { } location)
        {
            var target = location.IsAbsoluteUri ? location : new Uri(new Uri("https://localhost"), location);
            if (target.Host != "localhost" || location.OriginalString.StartsWith("//", StringComparison.Ordinal) || location.OriginalString.StartsWith("/\\", StringComparison.Ordinal))
            {
                _problems.Add($"{what}: redirects off the site to {location}");
            }

            if (_local != HostileInputTests.AnonymousUser && target.AbsolutePath.Equals("/Account/Login", StringComparison.OrdinalIgnoreCase))
            {
                // A form that really resets the user's own authenticator ends the session, as it should: sign in again.
                _browser.Dispose();
                _browser = await SignInAsync(_app, _local);
            }
        }

        if (SiteScoped && await EntriesAtOtherSiteSinceAsync(before) is > 0 and var atOtherSite)
        {
            _problems.Add($"{what}: wrote {atOtherSite} audit entries at another site ({_other.SiteCode}).");
        }

        NewLogErrors(what);
    }

    private void NewLogErrors(string what)
    {
        var lines = _app.Logs.Lines.ToArray();
        foreach (var line in lines.Skip(_logLinesSeen).Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)))
        {
            _problems.Add($"{what}: the app logged {line[..Math.Min(line.Length, 400)]}");
        }

        _logLinesSeen = lines.Length;
    }

    /// <summary>
    /// Pages the matrix lets this user open, with real ids only: route pattern, filled address, and the page as read
    /// (null when it did not answer 200 with HTML, a download for instance).
    /// </summary>
    private async IAsyncEnumerable<(string Pattern, string Url, Page? Page)> AllowedPagesAsync()
    {
        var audience = _role ?? AuthorizationMatrix.Anonymous;
        var rows = AuthorizationMatrix.Load().ToDictionary(r => r.Route, StringComparer.Ordinal);
        var values = await AuthorizationMatrixTests.RouteValuesAsync(_app, "LON");
        foreach (var (route, url, placeholder) in AppRoutes.GetPages(_app, values))
        {
            if (placeholder || !rows.TryGetValue(route.Pattern, out var row) || !row.Allowed[audience])
            {
                continue;
            }

            var page = await _browser.GetAsync(url, follow: false);
            var html = page.Status == HttpStatusCode.OK && page.Response.Content.Headers.ContentType?.MediaType == "text/html";
            yield return (route.Pattern, url, html ? page : null);
        }
    }

    private async Task<long> LastAuditIdAsync()
    {
        await using var connection = new NpgsqlConnection(_app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(max(\"Id\"), 0) FROM \"AuditTrail\"", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// What this user wrote since <paramref name="before"/> (audit actions): every write is audited, so an empty list
    /// means nothing was saved. Readings, and the records of a refused attempt (a wrong password, a refused export:
    /// actions ending "Refused" or "Failed", and the failed-attempt count Identity keeps on the account), are not writes
    /// of the form's data.
    /// </summary>
    private async Task<List<string>> WritesSinceAsync(long before)
    {
        await using var connection = new NpgsqlConnection(_app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT \"Action\" || ' ' || \"EntityType\" || coalesce(' ' || \"Changes\"::text, '') FROM \"AuditTrail\" " +
            "WHERE \"Id\" > @before AND \"UserId\" = @user AND NOT (\"Action\" = ANY(@reading)) AND \"Action\" NOT LIKE '%Refused' AND \"Action\" NOT LIKE '%Failed' ORDER BY \"Id\"",
            connection);
        command.Parameters.AddWithValue("reading", DsmbSourceCache.ReadingActions.ToArray());
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("user", _userId);
        var written = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var entry = reader.GetString(0);
            if (!IsFailedAttemptCount(entry))
            {
                written.Add(entry[..Math.Min(entry.Length, 200)]);
            }
        }

        return written;
    }

    private static bool IsFailedAttemptCount(string entry) =>
        entry.Contains("AccessFailedCount", StringComparison.Ordinal) && !entry.Contains("PasswordHash", StringComparison.Ordinal);

    /// <summary>Audit entries by this user at the other site since <paramref name="before"/>, readings included.</summary>
    private async Task<long> EntriesAtOtherSiteSinceAsync(long before)
    {
        await using var connection = new NpgsqlConnection(_app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM \"AuditTrail\" WHERE \"Id\" > @before AND \"UserId\" = @user AND \"SiteId\" = @other", connection);
        command.Parameters.AddWithValue("other", _other.SiteId);
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("user", _userId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Wrong passwords posted on purpose would lock the account after five (as they should; the lockout has its own
    /// tests); clearing the count keeps the run about the input.
    /// </summary>
    private async Task ForgetFailedPasswordsAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByIdAsync(_userId) ?? throw new InvalidOperationException($"No user {_userId}");
        await users.ResetAccessFailedCountAsync(user);
        await users.SetLockoutEndDateAsync(user, null);
    }

    private static async Task<TestBrowser> SignInAsync(TrialApp app, string local) =>
        local == HostileInputTests.AnonymousUser ? app.NewBrowser() : await app.SignedInAsync(local);
}
