using System.Security.Claims;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TrialManager.Web.Data;

namespace TrialManager.Benchmarks;

/// <summary>The real app, in this process, on the benchmark's database. Logging is off so it does not skew timings.</summary>
internal sealed class BenchApp(string connectionString, string masterKey) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSolutionRelativeContentRoot("src/TrialManager.Web");
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:TrialManager", connectionString);
        builder.UseSetting("TrialManager:MasterKey", masterKey);
        builder.UseSetting("TrialManager:SeedDemo", "false");
        builder.UseSetting("TrialManager:MigrateOnStart", "true");
        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureServices(services => services.ConfigureDbContext<TrialDbContext>(options => options.AddInterceptors(Commands)));
    }

    /// <summary>Every SQL command the app sends through EF Core (Identity's included).</summary>
    public SqlCommandCounter Commands { get; } = new();

    /// <summary>The signed-in principal Identity builds for the user (built once; a request carries it in its cookie).</summary>
    public async Task<ClaimsPrincipal> PrincipalAsync(string email)
    {
        await using var scope = Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email)
            ?? throw new InvalidOperationException(email);
        return await scope.ServiceProvider.GetRequiredService<SignInManager<ApplicationUser>>().CreateUserPrincipalAsync(user);
    }

    public async Task<T> AsUserAsync<T>(string email, Func<IServiceProvider, Task<T>> work) => await AsAsync(await PrincipalAsync(email), work);

    /// <summary>Runs <paramref name="work"/> in a fresh scope as <paramref name="principal"/>, as one request of theirs would.</summary>
    public async Task<T> AsAsync<T>(ClaimsPrincipal principal, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
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
}
