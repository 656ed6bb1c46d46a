using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Hosting;

/// <summary>The same app in the Production environment (still on its test database).</summary>
public sealed class ProductionApp : TrialApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}

public class ProductionHostingTests(ProductionApp app) : IClassFixture<ProductionApp>
{
    [Fact]
    public async Task Https_responses_carry_hsts_outside_development()
    {
        using var client = Client("https://trial.example.org");
        var response = await client.GetAsync("/Account/Login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "No HSTS header in Production.");
        Assert.Equal("max-age=31536000; includeSubDomains", string.Join(",", hsts));
    }

    [Fact]
    public async Task Outside_development_no_cookie_is_ever_set_without_secure_even_on_a_plain_http_request()
    {
        using var client = Client("http://trial.example.org");
        foreach (var url in new[] { "/Account/Login", "/", "/Error" })
        {
            var response = await client.GetAsync(url);

            var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
            Assert.All(cookies, c => Assert.Contains("secure", c.Split(';').Select(a => a.Trim().ToLowerInvariant())));
            Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS must only be sent over HTTPS.");
            ErrorDetails.AssertNoneIn(await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Outside_development_plain_http_is_refused_with_a_clear_message_except_the_health_check()
    {
        using var client = Client("http://trial.example.org");
        foreach (var url in new[] { "/Account/Login", "/", "/admin/users" })
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("only over HTTPS", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Outside_development_the_session_cookie_is_secure_http_only_and_same_site()
    {
        var account = app.Account("datamanager");
        using var browser = new TestBrowser(app);
        var login = await browser.GetAsync("/Account/Login");
        var signedIn = await browser.SubmitAsync(login, "login", [new("Input.Email", account.Email), new("Input.Password", account.Password)], follow: false);

        var session = signedIn.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tm.session=", StringComparison.Ordinal));
        var attributes = session.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("secure", attributes);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=lax", attributes);
    }

    [Fact]
    public async Task The_error_and_not_found_pages_show_no_details_in_production()
    {
        using var client = Client("https://trial.example.org");
        foreach (var url in new[] { "/Error", "/no/such/page", "/sites/not-a-guid" })
        {
            var response = await client.GetAsync(url);
            Assert.True((int)response.StatusCode < 500 || url == "/Error", $"{url}: {(int)response.StatusCode}");
            ErrorDetails.AssertNoneIn(await response.Content.ReadAsStringAsync());
        }
    }

    private HttpClient Client(string baseAddress) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = new Uri(baseAddress) });
}
