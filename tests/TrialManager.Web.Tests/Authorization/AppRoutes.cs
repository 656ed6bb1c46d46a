using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Authorization;

/// <summary>
/// One route of the running app: its pattern as written (e.g. "/sites/{SiteId:guid}"), the HTTP methods it takes
/// ("*" = any), and whether it is marked for anonymous use.
/// </summary>
public sealed record AppRoute(string Pattern, IReadOnlyList<string> Methods, RoutePattern Parsed, bool AllowsAnonymous)
{
    public bool AnswersGet => Methods.Contains("*") || Methods.Contains("GET");

    public string MethodsText => string.Join(", ", Methods);

    /// <summary>
    /// The address with every route parameter filled from <paramref name="values"/>; <c>Placeholder</c> is true when a
    /// parameter had no real value and got a made-up one that fits its constraint (the page may then answer 404).
    /// </summary>
    public (string Url, bool Placeholder) Fill(RouteValues values)
    {
        var path = new StringBuilder();
        var placeholder = false;
        foreach (var segment in Parsed.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        path.Append(literal.Content);
                        break;
                    case RoutePatternSeparatorPart separator:
                        path.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        var (value, real) = values.For(Pattern, parameter);
                        placeholder |= !real;
                        path.Append(Uri.EscapeDataString(value));
                        break;
                }
            }
        }

        return (path.Length == 0 ? "/" : path.ToString(), placeholder);
    }
}

/// <summary>
/// Values for route parameters: real ones (ids the signed-in demo users may see), by parameter name or by
/// "pattern|name" for one route; anything else gets a placeholder that fits the parameter's constraint.
/// </summary>
public sealed class RouteValues(IReadOnlyDictionary<string, string> real)
{
    public (string Value, bool Real) For(string pattern, RoutePatternParameterPart parameter)
    {
        if (real.TryGetValue($"{pattern}|{parameter.Name}", out var specific) || real.TryGetValue(parameter.Name, out specific))
        {
            return (specific, true);
        }

        var constraints = parameter.ParameterPolicies.Select(p => p.Content ?? "").ToList();
        var placeholder = constraints.Contains("guid") ? Guid.NewGuid().ToString()
            : constraints.Any(c => c is "int" or "long") ? "0"
            : "unknown";
        return (placeholder, false);
    }
}

/// <summary>
/// Every page and endpoint the running app serves, read from its <see cref="EndpointDataSource"/>, so a page added later
/// shows up here without anyone listing it. Static files (MapStaticAssets and its file fallback) and Blazor's own
/// /_framework endpoints are left out: they are not features and are anonymous by design.
/// </summary>
public static class AppRoutes
{
    public static IReadOnlyList<AppRoute> Discover(TrialApp app)
    {
        var source = app.Services.GetRequiredService<EndpointDataSource>();
        return [.. source.Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => !IsStaticOrFramework(e))
            .GroupBy(e => Normalise(e.RoutePattern.RawText ?? ""), StringComparer.Ordinal)
            .Select(g => new AppRoute(
                g.Key,
                [.. g.SelectMany(Methods).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                g.First().RoutePattern,
                g.All(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)];
    }

    /// <summary>GET-able pages with their parameters filled in.</summary>
    public static IReadOnlyList<(AppRoute Route, string Url, bool Placeholder)> GetPages(TrialApp app, RouteValues values) =>
        [.. Discover(app).Where(r => r.AnswersGet).Select(r =>
        {
            var (url, placeholder) = r.Fill(values);
            return (r, url, placeholder);
        })];

    /// <summary>
    /// The query parameters each page declares ([SupplyParameterFromQuery], by its name or the property's), by route
    /// pattern: for tests that must try every query string a page reads.
    /// </summary>
    public static Dictionary<string, List<string>> DeclaredQueryParameters()
    {
        var byRoute = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var page in typeof(Program).Assembly.GetTypes())
        {
            var names = page.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Select(p => p.GetCustomAttribute<SupplyParameterFromQueryAttribute>()?.Name ?? (p.IsDefined(typeof(SupplyParameterFromQueryAttribute)) ? p.Name : null))
                .OfType<string>()
                .ToList();
            foreach (var route in page.GetCustomAttributes<RouteAttribute>().Where(_ => names.Count > 0))
            {
                byRoute[Normalise(route.Template)] = names;
            }
        }

        return byRoute;
    }

    public static string Normalise(string pattern) => "/" + pattern.TrimStart('/');

    private static IEnumerable<string> Methods(RouteEndpoint endpoint)
    {
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
        return methods is null || methods.Count == 0 ? ["*"] : methods.Where(m => m != "HEAD");
    }

    private static bool IsStaticOrFramework(RouteEndpoint endpoint)
    {
        var pattern = Normalise(endpoint.RoutePattern.RawText ?? "");
        return endpoint.Metadata.Any(m => m.GetType().Name == "StaticAssetDescriptor")
            || pattern.StartsWith("/_framework/", StringComparison.OrdinalIgnoreCase)
            || pattern.Contains(":file}", StringComparison.OrdinalIgnoreCase);
    }
}
