using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Hosting;

/// <summary>
/// The app with test-only failure points added from outside (never in src): addresses whose handler throws or runs SQL
/// the database refuses (GET), and a password validator that does the same when a new password asks for it, so a real
/// form post (change password) fails inside the page's own handler.
/// </summary>
public sealed class FailingApp : TrialApp
{
    public const string ThrowPath = "/test-only/throw";
    public const string BadSqlPath = "/test-only/bad-sql";
    public const string Secret = "secret_marker_7731";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            services.AddTransient<IStartupFilter, FailurePoints>();
            services.AddScoped<IPasswordValidator<ApplicationUser>, ExplodingPasswordValidator>();
        });
    }

    /// <summary>Fails the way real code can: "throw ..." throws, "sql ..." runs a statement PostgreSQL refuses.</summary>
    private sealed class ExplodingPasswordValidator(TrialDbContext db) : IPasswordValidator<ApplicationUser>
    {
        public async Task<IdentityResult> ValidateAsync(UserManager<ApplicationUser> manager, ApplicationUser user, string? password)
        {
            if (password?.StartsWith("throw", StringComparison.Ordinal) == true)
            {
                throw new InvalidOperationException($"Failed near SELECT {Secret} FROM \"AspNetUsers\"");
            }

            if (password?.StartsWith("sql", StringComparison.Ordinal) == true)
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT {Secret} FROM \"AspNetUsers\"");
            }

            return IdentityResult.Success;
        }
    }

    /// <summary>Runs after the app's whole pipeline, for addresses no endpoint matched, so the app's own error handling wraps it.</summary>
    private sealed class FailurePoints : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use(async (context, following) =>
            {
                if (context.Request.Path.Equals(ThrowPath, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"Failed near SELECT {Secret} FROM \"AspNetUsers\" WHERE \"PasswordHash\" = 'x'");
                }

                if (context.Request.Path.Equals(BadSqlPath, StringComparison.Ordinal))
                {
                    var db = context.RequestServices.GetRequiredService<TrialDbContext>();
                    await db.Database.ExecuteSqlRawAsync($"SELECT {Secret} FROM \"AspNetUsers\"");
                }

                await following(context);
            });
        };
    }
}

/// <summary>The app with a low sign-in rate limit (every test browser shares one client address).</summary>
public sealed class RateLimitedApp : TrialApp
{
    public const int SignInLimit = 3;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["TrialManager:SignInAttemptsPerMinute"] = SignInLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

public class FailureModeTests(FailingApp app) : IClassFixture<FailingApp>
{
    [Theory]
    [InlineData("GET", FailingApp.ThrowPath)]
    [InlineData("GET", FailingApp.BadSqlPath)]
    [InlineData("POST", "throw")]
    [InlineData("POST", "sql")]
    public async Task An_unhandled_error_shows_the_friendly_page_without_stack_trace_or_sql(string method, string what)
    {
        // Signed in: an anonymous request for an address without an endpoint is sent to sign-in before it gets anywhere.
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        var hashBefore = (await app.ReloadUserAsync(account.Id)).PasswordHash;
        using var browser = app.NewBrowser();
        await browser.SignInAsync(account.Email, account.Password);
        Page page;
        if (method == "GET")
        {
            page = await browser.GetAsync(what);
        }
        else
        {
            var form = await browser.GetAsync("/Account/Manage/ChangePassword");
            var password = $"{what} {Guid.NewGuid():N}";
            page = await browser.SubmitAsync(form, "change-password", ("Input.CurrentPassword", account.Password), ("Input.NewPassword", password), ("Input.ConfirmPassword", password));
        }


        var seen = $"{method} {what}: {(int)page.Status} at {page.Path}: {page.Text.Trim()[..Math.Min(300, page.Text.Trim().Length)]}";
        Assert.True(page.Status == HttpStatusCode.InternalServerError, seen);
        Assert.Contains("Something went wrong", page.Text, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(page.Document.QuerySelector(".tm-code")?.TextContent), "No reference for the administrator to look up.");
        ErrorDetails.AssertNoneIn(page.Html, FailingApp.Secret, "42703", "does not exist", "InvalidOperation");
        Assert.True(page.Response.Headers.Contains("Content-Security-Policy"));
        // "Nothing was changed by it", as the page says.
        Assert.Equal(hashBefore, (await app.ReloadUserAsync(account.Id)).PasswordHash);
        // The failure really happened, and the details went to the log, where operators look.
        Assert.Contains(app.Logs.Lines, line => line.Contains(FailingApp.Secret, StringComparison.Ordinal));
    }
}

public class SignInRateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    [Fact]
    public async Task Sign_in_posts_past_the_per_minute_limit_get_429_and_sign_nobody_in()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        var outcomes = new List<(HttpStatusCode Status, bool SignedIn, string Html)>();
        // Twice the limit and one more: however a one-minute window falls, some of these are over the limit.
        for (var i = 0; i < (2 * RateLimitedApp.SignInLimit) + 1; i++)
        {
            using var browser = app.NewBrowser();
            var login = await browser.GetAsync("/Account/Login");
            Assert.Equal(HttpStatusCode.OK, login.Status);
            var answer = await browser.SubmitAsync(login, "login", [new("Input.Email", account.Email), new("Input.Password", account.Password)], follow: false);
            var signedIn = (await browser.GetAsync("/sites", follow: false)).Status == HttpStatusCode.OK;
            outcomes.Add((answer.Status, signedIn, answer.Html));
        }

        var limited = outcomes.Where(o => o.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(limited.Count >= 1, $"Statuses: {string.Join(", ", outcomes.Select(o => (int)o.Status))}");
        Assert.All(limited, o => Assert.False(o.SignedIn));
        Assert.All(limited, o => ErrorDetails.AssertNoneIn(o.Html));
        Assert.All(outcomes.Except(limited), o => Assert.True(o.Status == HttpStatusCode.Redirect && o.SignedIn));

        // Only sign-in posts are limited: pages still open.
        using var reader = app.NewBrowser();
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/Account/Login")).Status);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/health")).Status);
    }
}
