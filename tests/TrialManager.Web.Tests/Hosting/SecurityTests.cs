using System.Net;
using Npgsql;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Hosting;

/// <summary>Headers, cookies, antiforgery, error pages, health and unknown addresses: the web basics, on every page the app serves.</summary>
public class SecurityTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Every_page_response_carries_the_security_headers()
    {
        var values = await AuthorizationMatrixTests.RouteValuesAsync(app);
        var urls = AppRoutes.GetPages(app, values).Select(p => p.Url)
            .Concat(["/no/such/page", "/sites/not-a-guid", "/health", "/status/404"])
            .ToList();
        var problems = new List<string>();
        using (var anonymous = app.NewBrowser())
        {
            foreach (var url in urls)
            {
                problems.AddRange(HeaderProblems($"anonymous {url}", (await anonymous.GetAsync(url, follow: false)).Response));
            }
        }

        using (var admin = await SignedInAsync("admin"))
        {
            foreach (var url in urls)
            {
                problems.AddRange(HeaderProblems($"admin {url}", (await admin.GetAsync(url, follow: false)).Response));
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Session_antiforgery_and_two_factor_cookies_are_http_only_secure_and_same_site()
    {
        await app.EnrolAuthenticatorAsync("safety");
        using var browser = app.NewBrowser();
        var login = await browser.GetAsync("/Account/Login", follow: false);
        var antiforgery = Cookie(login.Response, "tm.antiforgery");

        var signedIn = await browser.SubmitAsync(login, "login", [new("Input.Email", app.Account("coordinator").Email), new("Input.Password", app.Account("coordinator").Password)], follow: false);
        var session = Cookie(signedIn.Response, "tm.session");

        using var twoFactor = app.NewBrowser();
        var login2 = await twoFactor.GetAsync("/Account/Login", follow: false);
        var firstStep = await twoFactor.SubmitAsync(login2, "login", [new("Input.Email", app.Account("safety").Email), new("Input.Password", app.Account("safety").Password)], follow: false);
        var pending = Cookie(firstStep.Response, "Identity.TwoFactorUserId");

        foreach (var (cookie, sameSite) in new[] { (antiforgery, "strict"), (session, "lax"), (pending, "strict") })
        {
            var attributes = cookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
            Assert.True(attributes.Contains("httponly"), $"Not HttpOnly: {cookie}");
            Assert.True(attributes.Contains("secure"), $"Not Secure: {cookie}");
            Assert.True(attributes.Contains($"samesite={sameSite}"), $"Not SameSite={sameSite}: {cookie}");
        }

        // The session cookie lives only as long as the browser (no persistent "remember me").
        Assert.DoesNotContain("expires=", session, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_post_without_an_antiforgery_token_to_any_form_is_refused_and_changes_nothing()
    {
        var values = await AuthorizationMatrixTests.RouteValuesAsync(app);
        var forms = new List<(TestBrowser Browser, string Who, string Url, List<KeyValuePair<string, string>> Fields)>();
        using var anonymous = app.NewBrowser();
        using var admin = await SignedInAsync("admin");
        using var coordinator = await SignedInAsync("coordinator");
        foreach (var (browser, who) in new[] { (anonymous, "anonymous"), (admin, "admin"), (coordinator, "coordinator") })
        {
            foreach (var (_, url, _) in AppRoutes.GetPages(app, values))
            {
                var page = await browser.GetAsync(url, follow: false);
                if (page.Status != HttpStatusCode.OK)
                {
                    continue;
                }

                foreach (var form in page.Document.Forms.Where(f => string.Equals(f.Method, "post", StringComparison.OrdinalIgnoreCase)))
                {
                    var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? url : form.GetAttribute("action")!;
                    var fields = form.Elements
                        .OfType<AngleSharp.Html.Dom.IHtmlInputElement>()
                        .Where(i => !string.IsNullOrEmpty(i.Name) && i.Name != "__RequestVerificationToken" && i.Type is not ("submit" or "button" or "file"))
                        .Select(i => new KeyValuePair<string, string>(i.Name!, i.Type == "checkbox" ? i.Value : i.Value.Length > 0 ? i.Value : "x"))
                        .ToList();
                    var handler = fields.FirstOrDefault(x => x.Key == "_handler").Value;
                    if (!forms.Any(f => f.Who == who && f.Url == action && f.Fields.FirstOrDefault(x => x.Key == "_handler").Value == handler))
                    {
                        forms.Add((browser, who, action, fields));
                    }
                }
            }
        }

        var handlers = forms.Select(f => f.Fields.FirstOrDefault(x => x.Key == "_handler").Value ?? f.Url).Distinct().ToList();
        Assert.True(handlers.Count >= 8, $"Only these forms were found: {string.Join(", ", handlers)}");
        var before = await DatabaseFingerprintAsync();

        var problems = new List<string>();
        foreach (var (browser, who, url, fields) in forms)
        {
            var answer = await browser.PostAsync(url, fields, follow: false);
            if (answer.Status != HttpStatusCode.BadRequest)
            {
                problems.Add($"{who} POST {url} ({string.Join("&", fields.Select(f => f.Key))}) without a token: {(int)answer.Status} {answer.Response.Headers.Location}");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Equal(before, await DatabaseFingerprintAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/users", follow: false)).Status);
        Assert.Equal(HttpStatusCode.OK, (await coordinator.GetAsync("/sites", follow: false)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync("/sites", follow: false)).Status);
    }

    [Fact]
    public async Task The_error_page_never_shows_exception_details()
    {
        using var browser = app.NewBrowser();
        var page = await browser.GetAsync("/Error");

        Assert.Equal("/Error", page.Path);
        Assert.Contains("Something went wrong", page.Text, StringComparison.Ordinal);
        ErrorDetails.AssertNoneIn(page.Html);
    }

    [Fact]
    public async Task The_health_endpoint_answers_healthy_without_signing_in()
    {
        using var browser = app.NewBrowser();
        var page = await browser.GetAsync("/health", follow: false);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Healthy", page.Html.Trim());
    }

    private static readonly string[] Strange =
    [
        "/no/such/page", "/sites/not-a-guid", "/sites/00000000-0000-0000-0000-000000000000", "/status/abc", "/status/99999999999",
        "/status/-1", "/status/500", "/admin/users/%01", "/admin/users/%2e%2e%2f%2e%2e", "/%2e%2e/%2e%2e/etc/passwd", "/Account/Login?ReturnUrl=%00",
        "/Account/Login?ReturnUrl=" + new string('a', 5000), "/" + new string('a', 3000), "/sites?x=" + new string('x', 10_000), "/Account/Manage/Nope",
        "/favicon.ico", "/lib/nope.js", "/app.css/extra", "/index.php", "/.env", "/Account/LoginWith2fa?returnUrl=//evil.example", "/%E2%82%AC%F0%9F%98%80",
        "/sites/%ZZ", "/health/more", "/Error?x=<script>", "/trials/%3Cscript%3E", "/participants/not-a-guid",
    ];

    [Fact]
    public async Task Unknown_or_odd_addresses_never_cause_a_server_error()
    {
        using var anonymous = app.NewBrowser();
        using var signedIn = await SignedInAsync("datamanager");
        var problems = new List<string>();
        foreach (var (browser, who) in new[] { (anonymous, "anonymous"), (signedIn, "datamanager") })
        {
            foreach (var url in Strange)
            {
                var page = await browser.GetAsync(url);
                if ((int)page.Status >= 500)
                {
                    problems.Add($"{who} GET {url[..Math.Min(80, url.Length)]}: {(int)page.Status}");
                }

                ErrorDetails.AssertNoneIn(page.Html);
                var post = await browser.PostAsync(url, [new("a", "b")], follow: false);
                if ((int)post.Status >= 500)
                {
                    problems.Add($"{who} POST {url[..Math.Min(80, url.Length)]}: {(int)post.Status}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("/sites", follow: false)).Status);
    }

    private static IEnumerable<string> HeaderProblems(string what, HttpResponseMessage response)
    {
        var headers = response.Headers;
        var csp = headers.TryGetValues("Content-Security-Policy", out var c) ? string.Join(" ", c) : "";
        if (csp.Length == 0)
        {
            yield return $"{what}: no Content-Security-Policy";
        }
        else
        {
            if (csp.Contains("unsafe-inline", StringComparison.OrdinalIgnoreCase) || csp.Contains("unsafe-eval", StringComparison.OrdinalIgnoreCase))
            {
                yield return $"{what}: the CSP allows unsafe script or style: {csp}";
            }

            if (!csp.Contains("frame-ancestors 'none'", StringComparison.Ordinal))
            {
                yield return $"{what}: the CSP lacks frame-ancestors 'none': {csp}";
            }

            if (!csp.Contains("script-src 'self'", StringComparison.Ordinal) && !csp.Contains("default-src 'self'", StringComparison.Ordinal))
            {
                yield return $"{what}: the CSP does not restrict scripts to this site: {csp}";
            }
        }

        if (!headers.TryGetValues("X-Content-Type-Options", out var nosniff) || !nosniff.Contains("nosniff"))
        {
            yield return $"{what}: no X-Content-Type-Options: nosniff";
        }

        if (!headers.TryGetValues("Referrer-Policy", out var referrer) || !referrer.Any(r => r is "no-referrer" or "same-origin" or "strict-origin" or "strict-origin-when-cross-origin"))
        {
            yield return $"{what}: no strict Referrer-Policy";
        }
    }

    private static string Cookie(HttpResponseMessage response, string name) =>
        (response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [])
            .FirstOrDefault(c => c.StartsWith(name + "=", StringComparison.Ordinal) && !c.StartsWith(name + "=;", StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"No {name} cookie set by {response.RequestMessage?.RequestUri}; Set-Cookie: {string.Join(" | ", response.Headers.TryGetValues("Set-Cookie", out var all) ? all : [])}");

    /// <summary>A digest of every row of every table: equal before and after means nothing was written.</summary>
    private async Task<Dictionary<string, string>> DatabaseFingerprintAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var quoted = "\"" + table.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var digest = new NpgsqlCommand($"SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {quoted} t", connection);
            digests[table] = (string)(await digest.ExecuteScalarAsync())!;
        }

        return digests;
    }

    private async Task<TestBrowser> SignedInAsync(string local)
    {
        if (local is "admin" or "safety" && app.AuthenticatorKey(app.Account(local).Email) is null)
        {
            await app.EnrolAuthenticatorAsync(local);
        }

        var browser = app.NewBrowser();
        Assert.Equal("/", (await browser.SignInAsync(local)).Path);
        return browser;
    }
}
