using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using TrialManager.Web.Account;
using TrialManager.Web.Data;
using TrialManager.Web.Hosting;
using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.E2E.Tests.Infrastructure;

/// <summary>
/// The real app (Program) served by Kestrel on a free loopback port, on its own fresh, migrated PostgreSQL database seeded
/// with the demo (one user per role), plus one headless Chromium driven by Playwright. One instance per test class
/// (IClassFixture); every test opens its own browser context (<see cref="NewSessionAsync"/>), so cookies never leak
/// between tests.
/// </summary>
public sealed class BrowserApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>Overrides the Chromium executable (default: Debian's /usr/bin/chromium).</summary>
    public const string ChromiumVariable = "TRIALMANAGER_CHROMIUM";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private readonly ConcurrentDictionary<string, string> _authenticatorKeys = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private string _connectionString = "";
    private Task<(IPlaywright Playwright, IBrowser Browser)>? _launch;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    static BrowserApp()
    {
        // Server-rendered pages answer in milliseconds; the margin is for a loaded two-core CI machine.
        Assertions.SetDefaultExpectTimeout(15_000);
    }

    public CapturedLogs Logs { get; } = new();

    /// <summary>The app's clock (it starts at the real time and moves only when a test moves it). TOTP codes use the real time.</summary>
    public FakeClock Clock { get; } = new();

    /// <summary>Authenticator codes for the app's accounts, each usable once, on this app's clock.</summary>
    public AuthenticatorCodes Codes => _codes ??= new AuthenticatorCodes(Clock);

    private AuthenticatorCodes? _codes;

    /// <summary>Where the app listens, e.g. http://127.0.0.1:40123.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Demo accounts by the local part of their e-mail: coordinator, investigator, safety, dsmb, datamanager, admin, coordinator.bos.</summary>
    public IReadOnlyDictionary<string, DemoCredential> Accounts { get; private set; } = new Dictionary<string, DemoCredential>();

    public DemoCredential Account(string local) => Accounts[local];

    public async Task InitializeAsync()
    {
        // Chromium and the Playwright driver start while the database and the app do.
        _launch = LaunchBrowserAsync();
        var server = await PostgresServer.GetAsync();
        _connectionString = await server.CreateDatabaseAsync("tm_e2e");
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        Address = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)));

        await using (var scope = Services.CreateAsyncScope())
        {
            var credentials = await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(CancellationToken.None);
            Accounts = credentials.ToDictionary(c => c.Email.Split('@')[0], StringComparer.Ordinal);
        }

        (_playwright, _browser) = await _launch;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (_browser is null && _launch is not null)
        {
            try
            {
                (_playwright, _browser) = await _launch;
            }
            catch (PlaywrightException)
            {
                // The launch failure was already reported by InitializeAsync.
            }
        }

        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await DisposeAsync();
    }

    /// <summary>
    /// A fresh browser context (no cookies) with one page, watching for console errors and CSP violations. With
    /// <paramref name="output"/>, every request, response and console message goes to the test's output.
    /// </summary>
    public async Task<BrowserSession> NewSessionAsync(ITestOutputHelper? output = null)
    {
        var browser = _browser ?? throw new InvalidOperationException("The browser is not running.");
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-GB",
            TimezoneId = "Europe/London",
        });
        context.SetDefaultTimeout(15_000);
        return await BrowserSession.OpenAsync(this, context, output);
    }

    /// <summary>
    /// A new account with a known password, as an administrator would leave it after the person changed their one-time
    /// password (no authenticator key yet, nothing to change).
    /// </summary>
    public async Task<DemoCredential> CreateAccountAsync(string local, string displayName, string role, bool mustChangePassword = false)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var email = $"{local}@{DemoSeeder.EmailDomain}";
        var password = OneTimePassword.New();
        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName, MustChangePassword = mustChangePassword, CreatedAt = DateTimeOffset.UtcNow };
        Check(await users.CreateAsync(user, password));
        Check(await users.AddToRoleAsync(user, role));
        return new DemoCredential(role, email, password, []);
    }

    /// <summary>Remembers an authenticator key read from the enrolment page, so a later sign-in can answer the code.</summary>
    public void RememberAuthenticatorKey(string email, string key) => _authenticatorKeys[email] = key;

    public string AuthenticatorKey(string email) =>
        _authenticatorKeys.TryGetValue(email, out var key) ? key : throw new InvalidOperationException($"No authenticator was enrolled for {email} in this class.");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:TrialManager", _connectionString);
        builder.UseSetting("TrialManager:SeedDemo", "false");
        builder.UseSetting("TrialManager:MigrateOnStart", "false");
        // Every browser comes from 127.0.0.1; the sign-in rate limit is tested elsewhere.
        builder.UseSetting("TrialManager:SignInAttemptsPerMinute", "100000");
        // A deployment with its own database needs its own master key (base64 of 32 bytes) for sealed allocations.
        builder.UseSetting("TrialManager:MasterKey", _masterKey);
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Logs);
        });
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }


    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }

    private static async Task<(IPlaywright, IBrowser)> LaunchBrowserAsync()
    {
        var executable = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at {executable}. Install Debian's package (apt-get install -y chromium) or set {ChromiumVariable}. " +
                "Playwright's own browser download is not used.");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 60_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
