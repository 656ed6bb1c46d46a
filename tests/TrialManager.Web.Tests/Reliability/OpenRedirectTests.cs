using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// No open redirects: every return-address parameter a page declares is found by reflection, and each one's whole
/// flow (sign-in, second factor, recovery code, re-authentication) is completed with hostile targets; every hop must
/// stay on this site. A new return parameter fails the first test until its flow is added here.
/// </summary>
public class OpenRedirectTests(TrialApp app) : IClassFixture<TrialApp>
{
    public static IReadOnlyList<string> HostileTargets { get; } =
    [
        "https://evil.example/", "http://evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
        "/\t/evil.example", "/\r\n//evil.example", " //evil.example", "https:evil.example", "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>", "/%2F/evil.example", "/%5Cevil.example", "http://localhost.evil.example/",
        "https://localhost@evil.example/", "\u3000//evil.example", "/" + new string('a', 5000),
    ];

    /// <summary>The pages whose return parameter this class completes, by route.</summary>
    private static readonly string[] Covered = ["/Account/Login", "/Account/LoginWith2fa", "/Account/LoginWithRecoveryCode", "/Account/Reauthenticate"];

    [Fact]
    public void Every_declared_return_parameter_has_its_flow_covered_here()
    {
        var declared = AppRoutes.DeclaredQueryParameters()
            .Where(page => page.Value.Any(IsReturnParameter))
            .Select(page => page.Key)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(declared);
        Assert.Equal(Covered.Order(StringComparer.Ordinal), declared);
    }

    [Fact]
    public async Task Signing_in_never_leaves_the_site()
    {
        var problems = new List<string>();
        foreach (var target in HostileTargets)
        {
            using var browser = app.NewBrowser();
            var login = await browser.GetAsync("/Account/Login?ReturnUrl=" + Uri.EscapeDataString(target));
            var done = await browser.SubmitAsync(login, "login", ("Input.Email", app.Account("coordinator").Email), ("Input.Password", app.Account("coordinator").Password));
            problems.AddRange(OffSite("sign-in", target, browser, done));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task The_second_factor_and_the_recovery_code_never_leave_the_site()
    {
        var key = app.AuthenticatorKey(app.Account("safety").Email) ?? await app.EnrolAuthenticatorAsync("safety");
        var codes = await RecoveryCodesAsync("safety");
        var problems = new List<string>();
        foreach (var (target, index) in HostileTargets.Select((t, i) => (t, i)))
        {
            using var browser = app.NewBrowser();
            var login = await browser.GetAsync("/Account/Login?ReturnUrl=" + Uri.EscapeDataString(target));
            var second = await browser.SubmitAsync(login, "login", ("Input.Email", app.Account("safety").Email), ("Input.Password", app.Account("safety").Password));
            problems.AddRange(OffSite("password step", target, browser, second));

            // The code step reached directly with the hostile address, as a link in a phishing mail would.
            var codeStep = await browser.GetAsync("/Account/LoginWith2fa?returnUrl=" + Uri.EscapeDataString(target));
            var done = await browser.SubmitAsync(codeStep, "login-2fa", ("Input.Code", app.Codes.Next(key)));
            problems.AddRange(OffSite("authenticator code", target, browser, done));

            using var recovery = app.NewBrowser();
            var first = await recovery.GetAsync("/Account/Login");
            await recovery.SubmitAsync(first, "login", ("Input.Email", app.Account("safety").Email), ("Input.Password", app.Account("safety").Password));
            var recoveryStep = await recovery.GetAsync("/Account/LoginWithRecoveryCode?returnUrl=" + Uri.EscapeDataString(target));
            var recovered = await recovery.SubmitAsync(recoveryStep, "login-recovery", ("Input.Code", codes[index % codes.Count]));
            problems.AddRange(OffSite("recovery code", target, recovery, recovered));
            if (index % codes.Count == codes.Count - 1)
            {
                codes = await RecoveryCodesAsync("safety");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Re_authentication_never_leaves_the_site()
    {
        using var browser = app.NewBrowser();
        Assert.Equal("/", (await browser.SignInAsync("investigator")).Path);
        var problems = new List<string>();
        foreach (var target in HostileTargets)
        {
            var page = await browser.GetAsync("/Account/Reauthenticate?returnUrl=" + Uri.EscapeDataString(target));
            var cancel = page.Document.QuerySelector("a.btn-link")?.GetAttribute("href") ?? "";
            if (!IsLocal(cancel))
            {
                problems.Add($"re-authentication with {Show(target)}: the cancel link goes to {cancel}");
            }

            var done = await browser.SubmitAsync(page, "reauthenticate", ("Password", app.Account("investigator").Password));
            problems.AddRange(OffSite("re-authentication", target, browser, done));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private async Task<List<string>> RecoveryCodesAsync(string local)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync(app.Account(local).Email) ?? throw new InvalidOperationException(local);
        return [.. (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))!];
    }

    /// <summary>
    /// Every redirect hop the browser followed, and where it ended, must be on this site; and the step must have
    /// succeeded (left the account pages), or the test would prove nothing about where success leads.
    /// </summary>
    private static IEnumerable<string> OffSite(string step, string target, TestBrowser browser, Page landed)
    {
        if ((landed.Path.StartsWith("/Account/Login", StringComparison.OrdinalIgnoreCase) && step != "password step")
            || landed.Path.StartsWith("/Account/Reauthenticate", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{step} with {Show(target)}: did not succeed (still on {landed.Path})";
        }

        foreach (var (status, url) in browser.Hops.Append((landed.Status, landed.Url.ToString())))
        {
            if (!IsLocal(url))
            {
                yield return $"{step} with {Show(target)}: went to {url} ({(int)status})";
            }
        }

        if (landed.Url.Host != "localhost")
        {
            yield return $"{step} with {Show(target)}: landed on {landed.Url}";
        }
    }

    private static bool IsReturnParameter(string name) =>
        name.Contains("return", StringComparison.OrdinalIgnoreCase) || name.Contains("redirect", StringComparison.OrdinalIgnoreCase)
        || name.Contains("next", StringComparison.OrdinalIgnoreCase) || name.Contains("url", StringComparison.OrdinalIgnoreCase);

    private static bool IsLocal(string url)
    {
        if (url.StartsWith("//", StringComparison.Ordinal) || url.StartsWith("/\\", StringComparison.Ordinal) || url.StartsWith('\\'))
        {
            return false;
        }

        var resolved = Uri.TryCreate(new Uri("https://localhost/"), url, out var u) ? u : null;
        return resolved is not null && resolved.Host == "localhost" && resolved.Scheme is "https" or "http" && string.IsNullOrEmpty(resolved.UserInfo);
    }

    private static string Show(string target) => target.Length > 60 ? target[..60] + "…" : target.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
