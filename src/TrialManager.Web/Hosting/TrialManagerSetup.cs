using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Account;
using TrialManager.Web.Authorization;
using TrialManager.Web.Components;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Hosting;

public static class TrialManagerSetup
{
    /// <summary>Authentication-ticket property holding when the session began (Unix seconds).</summary>
    public const string SessionStartedKey = "tm.session_started";

    public static WebApplicationBuilder AddTrialManager(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        AddSecretFiles(builder.Configuration);
        var section = builder.Configuration.GetSection(TrialManagerOptions.Section);
        services.Configure<TrialManagerOptions>(section);
        var settings = section.Get<TrialManagerOptions>() ?? new TrialManagerOptions();

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DatabaseEndpoint>();
        services.AddSingleton<DatabaseMigrator>();
        services.AddSingleton<DatabaseStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseStartup>());
        services.AddScoped<DemoSeeder>();
        // The factory also registers TrialDbContext as scoped (for operations and Identity). Layout components, which
        // render alongside the page and would otherwise share its context concurrently, create their own from the factory.
        services.AddDbContextFactory<TrialDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<DatabaseEndpoint>().ConnectionString));

        services.AddSingleton(sp => MasterKey.Load(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TrialManagerOptions>>()));
        services.AddSingleton<Sealer>();
        services.AddSingleton<AuditChainVerifier>();

        services.AddHealthChecks().AddDbContextCheck<TrialDbContext>("database");

        services.AddRazorComponents();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentUser>();
        services.AddScoped<RedirectManager>();
        services.AddFeatureOperations();
        services.AddEmailOutbox(builder.Configuration);
        services.AddExceptionHandler<OperationForbiddenHandler>();
        services.AddExceptionHandler<TrialLockedHandler>();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddProblemDetails();

        // Cookies are Secure always outside Development; in Development they follow the request, so the local demo
        // runs on plain http://localhost while any https request still gets Secure cookies.
        var secure = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        AddIdentity(services, settings, secure);

        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "tm.antiforgery";
            o.Cookie.SecurePolicy = secure;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });

        var keys = settings.DataProtectionKeysDirectory;
        var dataProtection = services.AddDataProtection().SetApplicationName("TrialManager");
        if (!string.IsNullOrWhiteSpace(keys))
        {
            // Several app instances must share keys, or a cookie issued by one is rejected by another.
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keys));
        }

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Password guessing is also stopped by lockout per account; this limits spraying across accounts from one address.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/Account/Login", StringComparison.OrdinalIgnoreCase)
                    ? RateLimitPartition.GetFixedWindowLimiter(
                        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.SignInAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                    : RateLimitPartition.GetNoLimiter("other"));
        });

        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var entry in (settings.TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (System.Net.IPNetwork.TryParse(entry, out var network))
                {
                    o.KnownIPNetworks.Add(network);
                }
                else if (System.Net.IPAddress.TryParse(entry, out var address))
                {
                    o.KnownProxies.Add(address);
                }
                else
                {
                    throw new InvalidOperationException($"TrialManager:TrustedProxies has '{entry}', which is neither an IP address nor a CIDR network.");
                }
            }
        });

        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });

        return builder;
    }

    /// <summary>
    /// Docker and Kubernetes mount secrets as files. With TRIALMANAGER_SECRETS_DIR set, each file there is one setting:
    /// its name is the key ("__" for ":", e.g. ConnectionStrings__TrialManager) and its content the value.
    /// </summary>
    private static void AddSecretFiles(ConfigurationManager configuration)
    {
        var directory = Environment.GetEnvironmentVariable("TRIALMANAGER_SECRETS_DIR");
        if (string.IsNullOrWhiteSpace(directory) || !Directory.Exists(directory))
        {
            return;
        }

        var values = Directory.EnumerateFiles(directory)
            .Where(path => !Path.GetFileName(path).StartsWith('.'))
            .ToDictionary(
                path => Path.GetFileName(path).Replace("__", ":", StringComparison.Ordinal),
                path => (string?)File.ReadAllText(path).TrimEnd('\r', '\n'),
                StringComparer.OrdinalIgnoreCase);
        configuration.AddInMemoryCollection(values);
    }

    private static void AddIdentity(IServiceCollection services, TrialManagerOptions settings, CookieSecurePolicy secure)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();

        Policies.Register(services.AddAuthorizationBuilder());

        services.AddIdentityCore<ApplicationUser>(o =>
            {
                // Length and the common-password check are in PolicyPasswordValidator; no composition rules (ASVS 5 V6.2).
                o.Password.RequiredLength = PasswordPolicy.MinimumLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 1;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.User.RequireUniqueEmail = true;
                o.Tokens.AuthenticatorTokenProvider = OneTimeAuthenticatorTokenProvider.ProviderName;
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<TrialDbContext>()
            .AddSignInManager<TrialSignInManager>()
            .AddClaimsPrincipalFactory<TrialClaimsFactory>()
            .AddPasswordValidator<PolicyPasswordValidator>()
            .AddDefaultTokenProviders()
            .AddTokenProvider<OneTimeAuthenticatorTokenProvider>(OneTimeAuthenticatorTokenProvider.ProviderName);

        // Check the security stamp on every request: disabling a user or changing their roles ends their sessions at once.
        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            o.ValidationInterval = TimeSpan.Zero;
            o.OnRefreshingPrincipal = context =>
            {
                // Keep what the original sign-in proved (a second factor) when the principal is rebuilt from the database.
                var identity = context.NewPrincipal?.Identities.FirstOrDefault();
                var proof = context.CurrentPrincipal?.FindFirst(TrialClaims.AuthenticationMethod);
                if (identity is not null && proof is not null && !identity.HasClaim(proof.Type, proof.Value))
                {
                    identity.AddClaim(new Claim(proof.Type, proof.Value));
                }

                return Task.CompletedTask;
            };
        });

        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "tm.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = secure;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.ExpireTimeSpan = TimeSpan.FromMinutes(settings.IdleTimeoutMinutes);
            o.SlidingExpiration = true;
            o.Events.OnSigningIn = context =>
            {
                // The session's start is kept in the ticket's properties, which sliding renewals and sign-in refreshes
                // carry over; only a new sign-in starts a new absolute lifetime.
                if (!context.Properties.Items.ContainsKey(SessionStartedKey))
                {
                    var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                    context.Properties.Items[SessionStartedKey] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                }

                return Task.CompletedTask;
            };
            o.Events.OnValidatePrincipal = async context =>
            {
                var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                var started = context.Properties.Items.TryGetValue(SessionStartedKey, out var value)
                    && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                        ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                        : DateTimeOffset.MinValue;
                if (now - started > TimeSpan.FromHours(settings.AbsoluteSessionHours))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                    return;
                }

                await SecurityStampValidator.ValidatePrincipalAsync(context);
                // The stamp is checked on every request, and the validator asks to re-issue the cookie each time it
                // passes. Don't: the cookie would be rewritten on every response (static files included), and a
                // response still in flight at sign-out could put it back. Sliding expiration still renews it.
                context.ShouldRenew = false;
            };
        });
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.TwoFactorUserIdScheme, o =>
        {
            o.Cookie.SecurePolicy = secure;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.ExternalScheme, o => o.Cookie.SecurePolicy = secure);
    }

    public static WebApplication UseTrialManager(this WebApplication app)
    {
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TrialManagerOptions>>().Value.ServerTiming)
        {
            app.UseServerTiming();
        }

        app.UseForwardedHeaders();
        // Never the developer exception page: an error must not show a stack trace, in any environment.
        app.UseExceptionHandler("/Error", createScopeForErrors: true);
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHttpsOnly();
        }

        app.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true);
        app.UseNulCharacterGuard();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAccountGate();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapHealthChecks("/health").AllowAnonymous();
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>();
        app.MapAccountEndpoints();
        return app;
    }
}
