using System.Diagnostics;
using System.Globalization;
using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace TrialManager.Benchmarks.Load;

/// <summary>
/// One signed-in person's browser session over real HTTP. Its requests go to the app instances in turn (a load
/// balancer without affinity), so every request after the first proves the instances share their keys.
/// </summary>
public sealed class WebUser : IDisposable
{
    private readonly HttpClient _client;
    private readonly IReadOnlyList<Uri> _instances;
    private int _next;

    public WebUser(IReadOnlyList<Uri> instances, int firstInstance = 0)
    {
        _instances = instances;
        _next = firstInstance;
        // Cookies belong to the host, not the port: one container serves every instance, as a browser behind one name would.
        _client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    public readonly record struct Timing(double ServerMs, double ClientMs, int Status, long Bytes);

    /// <summary>Signs in through the login form (and the authenticator step when <paramref name="authenticatorKey"/> is given).</summary>
    public async Task SignInAsync(string email, string password, string? authenticatorKey)
    {
        var (landing, _) = await SubmitAsync("/Account/Login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
        if (landing.Contains("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase))
        {
            var key = authenticatorKey ?? throw new InvalidOperationException($"{email} asks for an authenticator code and no key is known");
            (landing, _) = await SubmitAsync(landing, "login-2fa", new() { ["Input.Code"] = Web.Account.OneTimeAuthenticatorTokenProvider.CodeAt(key, DateTimeOffset.UtcNow) });
        }

        var home = await SendAsync(HttpMethod.Get, "/", null);
        if (home.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{email} did not get signed in (home answered {(int)home.StatusCode} {home.Headers.Location}; the sign-in went to {landing}).");
        }
    }

    /// <summary>GETs <paramref name="path"/> and times it: the app's own time (Server-Timing) and the time to the last byte here.</summary>
    public async Task<Timing> GetAsync(string path)
    {
        var watch = Stopwatch.StartNew();
        using var response = await SendAsync(HttpMethod.Get, path, null);
        var body = await response.Content.ReadAsByteArrayAsync();
        var client = watch.Elapsed.TotalMilliseconds;
        var server = response.Headers.TryGetValues("Server-Timing", out var values) ? ParseDuration(values.First()) : double.NaN;
        return new Timing(server, client, (int)response.StatusCode, body.LongLength);
    }

    public async Task<byte[]> GetBytesAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null);
        return response.StatusCode == HttpStatusCode.OK
            ? await response.Content.ReadAsByteArrayAsync()
            : throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
    }

    public void Dispose() => _client.Dispose();

    private static double ParseDuration(string header)
    {
        var at = header.IndexOf("dur=", StringComparison.Ordinal);
        return at < 0 ? double.NaN : double.Parse(header[(at + 4)..].Split(',', ';')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Fills the named form of the page at <paramref name="path"/> (hidden fields as given) and posts it; returns where it led.</summary>
    private async Task<(string Location, HttpStatusCode Status)> SubmitAsync(string path, string formName, Dictionary<string, string> values)
    {
        using var page = await SendAsync(HttpMethod.Get, path, null);
        var html = await page.Content.ReadAsStringAsync();
        var document = new HtmlParser().ParseDocument(html);
        var form = document.Forms.FirstOrDefault(f => f.Elements.OfType<IHtmlInputElement>().Any(i => i.Name == "_handler" && i.Value == formName))
            ?? throw new InvalidOperationException($"{path} has no form '{formName}' (status {(int)page.StatusCode})");
        var fields = form.Elements.OfType<IHtmlInputElement>()
            .Where(i => !string.IsNullOrEmpty(i.Name) && i.Type is not ("submit" or "button" or "checkbox" or "radio") && !values.ContainsKey(i.Name!))
            .Select(i => new KeyValuePair<string, string>(i.Name!, i.Value))
            .Concat(values)
            .ToList();
        var action = form.GetAttribute("action");
        using var posted = await SendAsync(HttpMethod.Post, string.IsNullOrEmpty(action) ? path : action, new FormUrlEncodedContent(fields));
        return (posted.Headers.Location?.ToString() ?? path, posted.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content)
    {
        var instance = _instances[_next++ % _instances.Count];
        var target = Uri.TryCreate(path, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? new Uri(instance, absolute.PathAndQuery)
            : new Uri(instance, path);
        using var request = new HttpRequestMessage(method, target) { Content = content };
        return await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
    }
}
