using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TrialManager.Web.Data;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// The real app (Program) on its own fresh, migrated PostgreSQL database, seeded with the demo sites and one user per
/// role. One instance per test class (IClassFixture). Tests sign in through the real pages with <see cref="TestBrowser"/>.
/// </summary>
public class TrialApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, string> _authenticatorKeys = new(StringComparer.OrdinalIgnoreCase);

    public string ConnectionString { get; private set; } = "";

    public FakeClock Clock { get; } = new();

    /// <summary>Authenticator codes for the app's accounts, each usable once, on this app's clock.</summary>
    public AuthenticatorCodes Codes => _codes ??= new AuthenticatorCodes(Clock);

    private AuthenticatorCodes? _codes;

    /// <summary>This app's master key (each test class has its own, as each deployment would).</summary>
    public string MasterKeyBase64 { get; } = Sealing.MasterKey.NewBase64();

    public CapturedLogs Logs { get; } = new();

    /// <summary>Demo accounts by the local part of their e-mail: coordinator, investigator, safety, dsmb, datamanager, admin, coordinator.bos, depot, investigator.bos.</summary>
    public IReadOnlyDictionary<string, DemoCredential> Accounts { get; private set; } = new Dictionary<string, DemoCredential>();

    /// <summary>Extra configuration for a test class that needs it (set before the first request).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        ConnectionString = await server.CreateDatabaseAsync();
        _ = Services; // builds and starts the host
        await using var scope = Services.CreateAsyncScope();
        var credentials = await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(CancellationToken.None);
        Accounts = credentials.ToDictionary(c => c.Email.Split('@')[0], StringComparer.Ordinal);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public TestBrowser NewBrowser() => new(this);

    public DemoCredential Account(string local) => Accounts[local];

    /// <summary>Turns on an authenticator for the account (as if enrolled) and remembers its key, so sign-in can answer the code.</summary>
    public async Task<string> EnrolAuthenticatorAsync(string local)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync(Account(local).Email) ?? throw new InvalidOperationException(local);
        await users.ResetAuthenticatorKeyAsync(user);
        await users.SetTwoFactorEnabledAsync(user, true);
        var key = (await users.GetAuthenticatorKeyAsync(user))!;
        RememberAuthenticatorKey(user.Email!, key);
        return key;
    }

    public void RememberAuthenticatorKey(string email, string key) => _authenticatorKeys[email] = key;

    public string? AuthenticatorKey(string email) => _authenticatorKeys.TryGetValue(email, out var key) ? key : null;

    public async Task<T> WithDbAsync<T>(Func<TrialDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TrialDbContext>());
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a fresh scope as if <paramref name="local"/> were signed in (their real claims,
    /// built by Identity), so operations can be called directly with their own authorization checks in force.
    /// </summary>
    public Task<T> AsUserAsync<T>(string local, Func<IServiceProvider, Task<T>> work) => AsUserOnAsync(Services, local, work);

    /// <summary>As <see cref="AsUserAsync{T}"/>, on another host of this deployment (a <see cref="SecondInstance"/>).</summary>
    public async Task<T> AsUserOnAsync<T>(IServiceProvider services, string local, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync(Account(local).Email) ?? throw new InvalidOperationException(local);
        var principal = await signIn.CreateUserPrincipalAsync(user);
        var accessor = scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext { User = principal, RequestServices = scope.ServiceProvider };
        try
        {
            return await work(scope.ServiceProvider);
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }

    public async Task<Guid> SiteIdAsync(string code) => await WithDbAsync(db => db.Sites.Where(s => s.Code == code).Select(s => s.Id).SingleAsync());

    /// <summary>Another app host on this app's database and master key, as a second instance behind a load balancer.</summary>
    public SecondInstance NewInstanceOnSameDatabase() => new(this);

    /// <summary>The settings any host of this deployment needs (in-process or a real process).</summary>
    public IReadOnlyDictionary<string, string> DeploymentSettings => new Dictionary<string, string>
    {
        ["ConnectionStrings:TrialManager"] = ConnectionString,
        ["TrialManager:SeedDemo"] = "false",
        ["TrialManager:MigrateOnStart"] = "false",
        ["TrialManager:SignInAttemptsPerMinute"] = "100000",
        ["TrialManager:MasterKey"] = MasterKeyBase64,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        // Every test browser comes from the same (unknown) address, hence the high sign-in limit; the rate-limit test sets its own.
        foreach (var (key, value) in DeploymentSettings)
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Logs);
        });
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>
/// A second in-process host of the same deployment: same database, same master key, its own memory and caches; or,
/// with <paramref name="overrides"/>, of a copy of it (a restored database, another key).
/// </summary>
public sealed class SecondInstance(TrialApp first, IReadOnlyDictionary<string, string>? overrides = null) : WebApplicationFactory<Program>
{
    public TestBrowser NewBrowser() => new(first, CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = true,
        BaseAddress = new Uri("https://localhost"),
    }));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in first.DeploymentSettings.Concat(overrides ?? new Dictionary<string, string>()))
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
    }
}
