using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Routing.Patterns;
using TrialManager.Documents.Tests;
using TrialManager.Web.Tests.Authorization;

namespace TrialManager.Web.Tests.Blinding;

/// <summary>Limits that make a crawl finish on a database with many participants, each with many visits and forms.</summary>
public sealed record CrawlLimits
{
    /// <summary>Hard stop; a crawl that reaches it is reported as truncated (and the blinding tests fail on that).</summary>
    public int MaxRequests { get; init; } = 900;

    /// <summary>Different query strings of one path (filters, paging) beyond the bare path.</summary>
    public int MaxQueryVariantsPerPath { get; init; } = 3;

    /// <summary>
    /// Addresses of one entity page shape ("/participants/{id}"): every participant's own page is read, up to this.
    /// </summary>
    public int MaxPerEntityShape { get; init; } = 250;

    /// <summary>
    /// Addresses of one deeper shape ("/participants/{id}/visits/W3/forms/ADHERENCE", "/participants/{id}/casebook.pdf"):
    /// the template is the same for every participant, so a few samples of each are read.
    /// </summary>
    public int MaxPerSubpageShape { get; init; } = 3;
}

/// <summary>One answer the crawler received.</summary>
/// <param name="Url">Path and query asked for.</param>
/// <param name="Status">HTTP status.</param>
/// <param name="Kind">html, pdf, text, binary, redirect or empty.</param>
/// <param name="From">Where the address was found: a page's address, "form GET on …", "route …" or "start".</param>
public sealed record CrawledUrl(string Url, int Status, string Kind, string? ContentType, long Bytes, string From, string? Location, TimeSpan Elapsed);

/// <summary>What one crawl read and found.</summary>
public sealed class CrawlReport
{
    public List<CrawledUrl> Visited { get; } = [];

    public List<LeakFinding> Findings { get; } = [];

    /// <summary>Addresses that redirected to the sign-in page: the session was lost and the rest of the crawl saw nothing.</summary>
    public List<string> SignedOutAt { get; } = [];

    /// <summary>Shapes or paths whose further addresses were left out by a limit, with how many were left out.</summary>
    public Dictionary<string, int> LeftOutByLimit { get; } = new(StringComparer.Ordinal);

    /// <summary>GET routes of the app that could not be tried because no value was known for a parameter.</summary>
    public List<string> RoutesNotTried { get; } = [];

    /// <summary>How many pages (answered 200) carried each data-testid: what the crawl actually saw, for the tests' minimums.</summary>
    public Dictionary<string, int> TestIdCounts { get; } = new(StringComparer.Ordinal);

    public bool Truncated { get; set; }

    public TimeSpan Elapsed { get; set; }

    public int DistinctUrls => Visited.Select(v => v.Url).Distinct(StringComparer.Ordinal).Count();

    public IEnumerable<CrawledUrl> Ok => Visited.Where(v => v.Status == 200);

    public IEnumerable<CrawledUrl> Downloads => Ok.Where(v => v.Kind is "pdf" or "text" or "binary");

    public IEnumerable<CrawledUrl> Denied => Visited.Where(v => v.Status is 401 or 403 || (v.Location?.Contains("/Account/AccessDenied", StringComparison.OrdinalIgnoreCase) ?? false));

    public IEnumerable<LeakFinding> FindingsAt(string pathPrefix) => Findings.Where(f => f.Url.StartsWith(pathPrefix, StringComparison.Ordinal));

    public string Summary() =>
        $"{DistinctUrls} distinct URLs in {Elapsed.TotalSeconds:0.0} s: {Ok.Count()} answered 200 ({Ok.Count(v => v.Kind == "html")} pages, {Downloads.Count()} downloads: " +
        $"{Ok.Count(v => v.Kind == "pdf")} PDF, {Ok.Count(v => v.Kind == "text")} text/CSV), {Denied.Count()} denied, " +
        $"{Visited.Count(v => v.Status == 404)} not found, {Visited.Count(v => v.Kind == "redirect")} redirects, {Visited.Count(v => v.Status >= 500)} server errors; " +
        $"{Findings.Count} findings; {LeftOutByLimit.Values.Sum()} addresses left out by the limits ({LeftOutByLimit.Count} shapes){(Truncated ? "; TRUNCATED" : "")}";

    public string Listing() => string.Join('\n', Visited.Select(v =>
        $"{v.Status} {v.Kind,-8} {v.Url}{(v.Location is null ? "" : " -> " + v.Location)}   (from {v.From}, {v.Elapsed.TotalMilliseconds:0} ms)"));
}

/// <summary>
/// Reads everything a signed-in browser can reach, to prove nothing blinded leaks (see the Blinding tests). It starts at
/// the given addresses and discovers the rest itself, so pages added later are covered without editing a test:
/// <list type="bullet">
/// <item>same-site <c>a[href]</c>, <c>area[href]</c>, <c>iframe[src]</c> and <c>formaction</c> links, and redirect targets;</item>
/// <item>GET forms, submitted with their default values;</item>
/// <item>POST forms: their action is read with GET (pages post back to themselves), never submitted, so the crawl
/// changes nothing; forms posting to /Account/* (sign-out, account changes) are left alone entirely;</item>
/// <item>then every GET route of the app (from its endpoint table), its parameters filled with values seen in the
/// addresses already crawled or given by the test, so a page nobody links to is tried as well.</item>
/// </list>
/// Every answer is checked with <see cref="LeakRules"/>: the address, the headers, the raw HTML, its text and its
/// attribute values, PDF text (poppler) and metadata, and CSV or other text downloads. A 5xx answer is a finding too.
/// The next address is taken from the shape ("/participants/{id}/audit") read least so far, so under the limits every
/// kind of page is read before any is read twice.
/// </summary>
public sealed class LeakCrawler(HttpClient client, LeakRules rules, CrawlLimits? limits = null)
{
    private static readonly HtmlParser Parser = new();
    private static readonly Uri Origin = new("https://localhost/");

    private readonly CrawlLimits _limits = limits ?? new CrawlLimits();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<(string Url, string From)>> _pending = new(StringComparer.Ordinal);
    private readonly List<string> _shapeOrder = [];
    private readonly Dictionary<string, int> _readPerShape = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _queuedPerShape = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _queriesPerPath = new(StringComparer.Ordinal);
    private readonly CrawlReport _report = new();

    /// <summary>Paths never requested: signing out would end the crawl.</summary>
    public static bool IsSignOut(string path) => path.Equals("/Account/Logout", StringComparison.OrdinalIgnoreCase);

    /// <param name="starts">Where to begin ("/" has the navigation).</param>
    /// <param name="routes">The app's routes to try directly once links run out (null: links only).</param>
    /// <param name="knownValues">Route parameter values to try besides those seen while crawling (e.g. another site's participant), by parameter name or by "pattern|name" for one route.</param>
    public async Task<CrawlReport> CrawlAsync(IEnumerable<string> starts, IReadOnlyList<AppRoute>? routes = null, IReadOnlyDictionary<string, string>? knownValues = null)
    {
        var clock = Stopwatch.StartNew();
        foreach (var start in starts)
        {
            Enqueue(start, "start");
        }

        var triedRoutes = routes is null;
        while (true)
        {
            while (Dequeue() is { } next)
            {
                if (_report.Visited.Count >= _limits.MaxRequests)
                {
                    _report.Truncated = true;
                    break;
                }

                await ReadAsync(next.Url, next.From);
            }

            if (_report.Truncated || triedRoutes)
            {
                break;
            }

            triedRoutes = true;
            TryRoutes(routes!, knownValues ?? new Dictionary<string, string>());
        }

        _report.Elapsed = clock.Elapsed;
        return _report;
    }

    private async Task ReadAsync(string url, string from)
    {
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(url);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The in-memory server hands an unhandled exception to the client: as bad as a 500.
            _report.Findings.Add(new LeakFinding(url, "server error (unhandled exception)", "status", e.GetType().Name + ": " + e.Message));
            _report.Visited.Add(new CrawledUrl(url, 599, "error", null, 0, from, null, clock.Elapsed));
            return;
        }

        using var disposing = response;
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var status = (int)response.StatusCode;
        var mediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
        var location = response.Headers.Location is { } l ? Resolve(new Uri(Origin, url), l.OriginalString) : null;
        var kind = location is not null && status is >= 300 and < 400 ? "redirect"
            : bytes.Length == 0 ? "empty"
            : mediaType switch
            {
                "text/html" or "application/xhtml+xml" => "html",
                "application/pdf" => "pdf",
                _ when mediaType is not null && (mediaType.StartsWith("text/", StringComparison.Ordinal) || mediaType.EndsWith("json", StringComparison.Ordinal) || mediaType.EndsWith("xml", StringComparison.Ordinal)) => "text",
                _ => "binary",
            };

        Check(url, "url", url);
        Check(url, "headers", string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(", ", h.Value)}")));
        if (status >= 500)
        {
            _report.Findings.Add(new LeakFinding(url, $"server error {status}", "status", Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 300))));
        }

        if (location is not null)
        {
            var target = new Uri(Origin, location);
            if (target.AbsolutePath.StartsWith("/Account/Login", StringComparison.OrdinalIgnoreCase) && !new Uri(Origin, url).AbsolutePath.StartsWith("/Account/", StringComparison.OrdinalIgnoreCase))
            {
                _report.SignedOutAt.Add(url);
            }

            Enqueue(location, url);
        }

        switch (kind)
        {
            case "html":
                var html = Encoding.UTF8.GetString(bytes);
                var document = Parser.ParseDocument(html);
                Check(url, "html", html);
                // Text as one string ("Quill<b>wort</b>") and node by node ("<td>far</td><td>31 per arm</td>").
                Check(url, "text", document.DocumentElement?.TextContent ?? "");
                Check(url, "text", string.Join(' ', document.DocumentElement?.GetDescendants().OfType<IText>().Select(t => t.Data) ?? []));
                Check(url, "attributes", string.Join(" | ", document.All.SelectMany(e => e.Attributes).Select(a => $"{a.Name}={a.Value}")));
                Discover(url, document);
                if (status == 200)
                {
                    foreach (var testId in document.QuerySelectorAll("[data-testid]").Select(e => e.GetAttribute("data-testid")!).Distinct(StringComparer.Ordinal))
                    {
                        _report.TestIdCounts[testId] = _report.TestIdCounts.GetValueOrDefault(testId) + 1;
                    }
                }

                break;
            case "pdf":
                Check(url, "pdf", Poppler.Text(bytes));
                Check(url, "pdf-info", string.Join('\n', Poppler.Info(bytes).Select(i => $"{i.Key}: {i.Value}")));
                break;
            default:
                Check(url, "body", Encoding.UTF8.GetString(bytes));
                break;
        }

        _report.Visited.Add(new CrawledUrl(url, status, kind, mediaType, bytes.Length, from, location, clock.Elapsed));
    }

    private void Check(string url, string where, string text)
    {
        foreach (var finding in rules.Check(url, where, text))
        {
            if (!_report.Findings.Any(f => f.Url == finding.Url && f.Rule == finding.Rule && f.Where == finding.Where))
            {
                _report.Findings.Add(finding);
            }
        }
    }

    private void Discover(string url, IHtmlDocument document)
    {
        var page = new Uri(Origin, url);
        var baseHref = document.QuerySelector("base[href]")?.GetAttribute("href");
        var baseUri = string.IsNullOrEmpty(baseHref) ? page : new Uri(page, baseHref);

        foreach (var element in document.QuerySelectorAll("a[href], area[href]"))
        {
            Enqueue(Resolve(baseUri, element.GetAttribute("href")), url);
        }

        foreach (var element in document.QuerySelectorAll("iframe[src], frame[src]"))
        {
            Enqueue(Resolve(baseUri, element.GetAttribute("src")), url);
        }

        foreach (var form in document.Forms)
        {
            var actionAttribute = form.GetAttribute("action");
            var action = string.IsNullOrWhiteSpace(actionAttribute) ? page.PathAndQuery : Resolve(baseUri, actionAttribute);
            if (action is null || new Uri(Origin, action).AbsolutePath.StartsWith("/Account/", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(form.Method, "get", StringComparison.OrdinalIgnoreCase))
            {
                Enqueue(DefaultSubmission(action, form), "form GET on " + url);
            }
            else
            {
                Enqueue(action, "form POST action on " + url);
            }

            foreach (var button in form.QuerySelectorAll("[formaction]"))
            {
                var target = Resolve(baseUri, button.GetAttribute("formaction"));
                if (target is not null && !new Uri(Origin, target).AbsolutePath.StartsWith("/Account/", StringComparison.OrdinalIgnoreCase))
                {
                    Enqueue(target, "formaction on " + url);
                }
            }
        }
    }

    /// <summary>What a browser sends when a GET form is submitted untouched: its fields' current values as the query.</summary>
    private static string DefaultSubmission(string action, IHtmlFormElement form)
    {
        var fields = new List<(string Name, string Value)>();
        foreach (var element in form.Elements)
        {
            switch (element)
            {
                case IHtmlInputElement input when !string.IsNullOrEmpty(input.Name):
                    if (input.Type is "submit" or "button" or "reset" or "image" or "file" || (input.Type is "checkbox" or "radio" && !input.IsChecked))
                    {
                        continue;
                    }

                    fields.Add((input.Name!, input.Value));
                    break;
                case IHtmlSelectElement select when !string.IsNullOrEmpty(select.Name):
                    var selected = select.SelectedOptions.Select(o => o.Value).ToList();
                    if (selected.Count == 0 && select.Options.Length > 0 && !select.IsMultiple)
                    {
                        selected.Add(select.Options[0]!.Value);
                    }

                    fields.AddRange(selected.Select(v => (select.Name!, v)));
                    break;
                case IHtmlTextAreaElement area when !string.IsNullOrEmpty(area.Name):
                    fields.Add((area.Name!, area.Value));
                    break;
            }
        }

        var path = action.Split('?')[0];
        return fields.Count == 0 ? path : path + "?" + string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Name)}={Uri.EscapeDataString(f.Value)}"));
    }

    /// <summary>Fills every GET route's parameters from values seen in crawled addresses (and the test's), and queues the results.</summary>
    private void TryRoutes(IReadOnlyList<AppRoute> routes, IReadOnlyDictionary<string, string> knownValues)
    {
        var gets = routes.Where(r => r.AnswersGet).ToList();
        var matchers = gets.ToDictionary(r => r.Pattern, r => Matcher(r.Parsed), StringComparer.Ordinal);
        var seenValues = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var visited in _report.Visited.Where(v => v.Status == 200))
        {
            var path = visited.Url.Split('?')[0];
            foreach (var route in gets)
            {
                var match = matchers[route.Pattern].Regex.Match(path);
                if (!match.Success)
                {
                    continue;
                }

                foreach (var (group, name) in matchers[route.Pattern].Groups)
                {
                    if (match.Groups[group].Success)
                    {
                        var value = Uri.UnescapeDataString(match.Groups[group].Value);
                        foreach (var key in new[] { $"{route.Pattern}|{name}", name })
                        {
                            var list = seenValues.TryGetValue(key, out var existing) ? existing : seenValues[key] = [];
                            if (!list.Contains(value, StringComparer.Ordinal))
                            {
                                list.Add(value);
                            }
                        }
                    }
                }
            }
        }

        foreach (var route in gets)
        {
            var fromCrawl = Fill(route, (pattern, name) => (seenValues.GetValueOrDefault($"{pattern}|{name}") ?? []).Concat(seenValues.GetValueOrDefault(name) ?? []));
            var fromTest = Fill(route, (pattern, name) =>
                knownValues.TryGetValue($"{pattern}|{name}", out var specific) ? [specific] : knownValues.TryGetValue(name, out var v) ? [v] : []);
            if (fromCrawl is null && fromTest is null)
            {
                _report.RoutesNotTried.Add(route.Pattern);
                continue;
            }

            foreach (var url in new[] { fromCrawl, fromTest }.OfType<string>().Distinct(StringComparer.Ordinal))
            {
                Enqueue(url, "route " + route.Pattern, ignoreShapeLimit: true);
            }
        }
    }

    private static string? Fill(AppRoute route, Func<string, string, IEnumerable<string>> candidates)
    {
        var path = new StringBuilder();
        foreach (var segment in route.Parsed.PathSegments)
        {
            var text = new StringBuilder();
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        text.Append(literal.Content);
                        break;
                    case RoutePatternSeparatorPart separator:
                        text.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        var value = candidates(route.Pattern, parameter.Name).FirstOrDefault(v => Fits(parameter, v));
                        if (value is null)
                        {
                            if (parameter.IsOptional || parameter.Default is not null)
                            {
                                continue;
                            }

                            return null;
                        }

                        text.Append(Uri.EscapeDataString(value));
                        break;
                }
            }

            if (text.Length > 0)
            {
                path.Append('/').Append(text);
            }
        }

        return path.Length == 0 ? "/" : path.ToString();
    }

    private static bool Fits(RoutePatternParameterPart parameter, string value) => parameter.ParameterPolicies.All(p => p.Content switch
    {
        "guid" => Guid.TryParse(value, out _),
        "int" or "long" => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        "alpha" => value.All(char.IsLetter),
        _ => true,
    });

    private static (Regex Regex, List<(string Group, string Name)> Groups) Matcher(RoutePattern pattern)
    {
        var regex = new StringBuilder("^");
        var groups = new List<(string, string)>();
        foreach (var segment in pattern.PathSegments)
        {
            var optional = segment.IsSimple && segment.Parts[0] is RoutePatternParameterPart { IsOptional: true };
            regex.Append(optional ? "(?:/" : "/");
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        regex.Append(Regex.Escape(literal.Content));
                        break;
                    case RoutePatternSeparatorPart separator:
                        regex.Append(Regex.Escape(separator.Content));
                        break;
                    case RoutePatternParameterPart parameter:
                        var group = "p" + groups.Count.ToString(CultureInfo.InvariantCulture);
                        groups.Add((group, parameter.Name));
                        regex.Append(parameter.IsCatchAll ? $"(?<{group}>.*)" : $"(?<{group}>[^/]+)");
                        break;
                }
            }

            if (optional)
            {
                regex.Append(")?");
            }
        }

        regex.Append("/?$");
        return (new Regex(regex.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), groups);
    }

    private void Enqueue(string? url, string from, bool ignoreShapeLimit = false)
    {
        if (url is null || _seen.Contains(url))
        {
            return;
        }

        var path = url.Split('?')[0];
        if (IsSignOut(path))
        {
            return;
        }

        var query = url.Length > path.Length ? url[(path.Length + 1)..] : "";
        if (query.Length > 0)
        {
            var queries = _queriesPerPath.TryGetValue(path, out var existing) ? existing : _queriesPerPath[path] = new HashSet<string>(StringComparer.Ordinal);
            if (!queries.Contains(query) && queries.Count >= _limits.MaxQueryVariantsPerPath)
            {
                LeftOut("query variants of " + path);
                return;
            }

            queries.Add(query);
        }

        var shape = Shape(path);
        var limit = shape.Contains('{', StringComparison.Ordinal)
            ? (IsEntityShape(shape) ? _limits.MaxPerEntityShape : _limits.MaxPerSubpageShape)
            : int.MaxValue;
        var queued = _queuedPerShape.GetValueOrDefault(shape);
        if (!ignoreShapeLimit && queued >= limit)
        {
            LeftOut(shape);
            return;
        }

        _queuedPerShape[shape] = queued + 1;
        _seen.Add(url);
        if (!_pending.TryGetValue(shape, out var queue))
        {
            _pending[shape] = queue = new Queue<(string, string)>();
            _shapeOrder.Add(shape);
        }

        queue.Enqueue((url, from));
    }

    private void LeftOut(string what) => _report.LeftOutByLimit[what] = _report.LeftOutByLimit.GetValueOrDefault(what) + 1;

    /// <summary>The next address, from the shape read least so far (ties: the shape found first).</summary>
    private (string Url, string From)? Dequeue()
    {
        string? best = null;
        foreach (var shape in _shapeOrder)
        {
            if (_pending[shape].Count > 0 && (best is null || _readPerShape.GetValueOrDefault(shape) < _readPerShape.GetValueOrDefault(best)))
            {
                best = shape;
            }
        }

        if (best is null)
        {
            return null;
        }

        _readPerShape[best] = _readPerShape.GetValueOrDefault(best) + 1;
        return _pending[best].Dequeue();
    }

    /// <summary>
    /// "/participants/0b9…/visits/W3/forms/DEP9" → "/participants/{id}/visits/W3/forms/DEP9"; numbers → "{n}"; kit codes
    /// ("/kits/7QH-4MX") → "{kit}".
    /// </summary>
    public static string Shape(string path) => string.Join('/', path.Split('/').Select(s =>
        Guid.TryParse(s, out _) ? "{id}" : s.Length > 0 && s.All(char.IsAsciiDigit) ? "{n}" : KitCodeSegment.IsMatch(s) ? "{kit}" : s));

    private static readonly Regex KitCodeSegment = new("^[23456789A-HJKMNP-Z]{3}-?[23456789A-HJKMNP-Z]{3}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>One entity's own page: a single id, last ("/participants/{id}", "/admin/users/{id}", "/kits/{kit}").</summary>
    private static bool IsEntityShape(string shape) =>
        (shape.EndsWith("/{id}", StringComparison.Ordinal) && shape.IndexOf('{', StringComparison.Ordinal) == shape.Length - 4)
        || (shape.EndsWith("/{kit}", StringComparison.Ordinal) && shape.IndexOf('{', StringComparison.Ordinal) == shape.Length - 5);

    private static string? Resolve(Uri baseUri, string? href)
    {
        if (string.IsNullOrWhiteSpace(href) || href.StartsWith('#'))
        {
            return null;
        }

        // Root-relative first: on Linux "/x" would also parse as an absolute file:// URI.
        var uri = href.StartsWith('/') && !href.StartsWith("//", StringComparison.Ordinal)
            ? new Uri(Origin, href)
            : Uri.TryCreate(baseUri, href, out var resolved) ? resolved : null;
        return uri is null ? null : Local(uri);
    }

    /// <summary>Path and query of a same-site address (fragment dropped); null for other sites and schemes.</summary>
    private static string? Local(Uri uri)
    {
        if (uri.Scheme is not ("http" or "https") || !uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var pathAndQuery = uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
        return pathAndQuery.EndsWith('?') ? pathAndQuery[..^1] : pathAndQuery;
    }
}
