using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>A page as a browser received it: final status, final address, and the parsed HTML.</summary>
public sealed record Page(HttpStatusCode Status, Uri Url, IHtmlDocument Document, string Html, HttpResponseMessage Response)
{
    public string Path => Url.AbsolutePath;

    public string Text => Document.Body?.TextContent ?? "";

    /// <summary>The validation message shown next to a field (Blazor renders it after the input, in .validation-message).</summary>
    public IReadOnlyList<string> MessagesFor(string inputId)
    {
        var input = Document.GetElementById(inputId) ?? throw new InvalidOperationException($"No input #{inputId} on {Path}");
        var container = input.ParentElement!;
        return [.. container.QuerySelectorAll(".validation-message").Select(e => e.TextContent.Trim())];
    }

    public string? ValueOf(string inputId) => (Document.GetElementById(inputId) as IHtmlInputElement)?.Value;

    public IHtmlFormElement Form(string formName) =>
        Document.Forms.FirstOrDefault(f => f.QuerySelector($"input[name='_handler'][value='{formName}']") is not null)
        ?? throw new InvalidOperationException($"No form '{formName}' on {Path}. Forms: {string.Join(", ", Document.Forms.Select(f => f.QuerySelector("input[name='_handler']")?.GetAttribute("value")))}");

    public IReadOnlyList<string> Links => [.. Document.QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!)];
}

/// <summary>
/// A cookie-keeping client that follows redirects itself (so tests can see each hop) and fills and submits the
/// server-rendered forms as a browser would, antiforgery token included.
/// </summary>
public sealed class TestBrowser : IDisposable
{
    private static readonly HtmlParser Parser = new();
    private readonly HttpClient _client;
    private readonly TrialApp _app;

    public TestBrowser(TrialApp app)
        : this(app, app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = new Uri("https://localhost"),
        }))
    {
    }

    /// <summary>A browser on another host of the same deployment (a second instance, or a real app process); accounts come from <paramref name="app"/>.</summary>
    public TestBrowser(TrialApp app, HttpClient client)
    {
        _app = app;
        _client = client;
    }

    /// <summary>A cookie-keeping client for a real server address, following no redirects by itself.</summary>
    public static HttpClient ClientFor(Uri baseAddress) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = baseAddress };

    public List<(HttpStatusCode Status, string Url)> Hops { get; } = [];

    public Task<Page> GetAsync(string url, bool follow = true) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url), follow);

    /// <summary>Posts form fields as they are given (no page visited first): for hostile and forged requests.</summary>
    public Task<Page> PostAsync(string url, IEnumerable<KeyValuePair<string, string>> fields, bool follow = true) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) }, follow);

    /// <summary>Posts a body already in application/x-www-form-urlencoded form: for bytes no string can hold (invalid UTF-8).</summary>
    public Task<Page> PostEncodedAsync(string url, string body, bool follow = true) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded") }, follow);

    /// <summary>
    /// Submits the named form of <paramref name="page"/>: its current values (hidden fields, text, checked boxes), with
    /// <paramref name="values"/> replacing same-named fields. A key given several times posts several values.
    /// </summary>
    public Task<Page> SubmitAsync(Page page, string formName, IEnumerable<KeyValuePair<string, string>> values, bool follow = true)
    {
        var form = page.Form(formName);
        var overrides = values.ToList();
        var overridden = overrides.Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements.OfType<IHtmlInputElement>())
        {
            if (string.IsNullOrEmpty(element.Name) || overridden.Contains(element.Name))
            {
                continue;
            }

            if (element.Type is "checkbox" or "radio" && !element.IsChecked)
            {
                continue;
            }

            if (element.Type is "submit" or "button")
            {
                continue;
            }

            fields.Add(new(element.Name, element.Value));
        }

        foreach (var select in form.Elements.OfType<IHtmlSelectElement>().Where(s => !string.IsNullOrEmpty(s.Name) && !overridden.Contains(s.Name!)))
        {
            fields.AddRange(select.SelectedOptions.Select(o => new KeyValuePair<string, string>(select.Name!, o.Value)));
        }

        foreach (var area in form.Elements.OfType<IHtmlTextAreaElement>().Where(t => !string.IsNullOrEmpty(t.Name) && !overridden.Contains(t.Name!)))
        {
            fields.Add(new(area.Name!, area.Value));
        }

        fields.AddRange(overrides);
        var action = form.GetAttribute("action");
        var target = string.IsNullOrEmpty(action) ? page.Url.PathAndQuery : action;
        return PostAsync(target, fields, follow);
    }

    /// <summary>Submits a multipart form (file upload) with its hidden fields, the given fields and one file.</summary>
    public Task<Page> SubmitWithFileAsync(Page page, string formName, string fileField, string fileName, byte[] content, params (string Name, string Value)[] values)
    {
        var form = page.Form(formName);
        var multipart = new MultipartFormDataContent();
        foreach (var hidden in form.Elements.OfType<IHtmlInputElement>().Where(e => e.Type == "hidden" && !string.IsNullOrEmpty(e.Name)))
        {
            multipart.Add(new StringContent(hidden.Value), hidden.Name!);
        }

        foreach (var (name, value) in values)
        {
            multipart.Add(new StringContent(value), name);
        }

        multipart.Add(new ByteArrayContent(content), fileField, fileName);
        var action = form.GetAttribute("action");
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, string.IsNullOrEmpty(action) ? page.Url.PathAndQuery : action) { Content = multipart }, follow: true);
    }

    public Task<Page> SubmitAsync(Page page, string formName, params (string Name, string Value)[] values) =>
        SubmitAsync(page, formName, values.Select(v => new KeyValuePair<string, string>(v.Name, v.Value)));

    /// <summary>Signs in through the login page (and the authenticator step, when the account has one) and lands on home.</summary>
    public async Task<Page> SignInAsync(string local)
    {
        var account = _app.Account(local);
        return await SignInAsync(account.Email, account.Password);
    }

    public async Task<Page> SignInAsync(string email, string password)
    {
        var login = await GetAsync("/Account/Login");
        var page = await SubmitAsync(login, "login", ("Input.Email", email), ("Input.Password", password));
        if (page.Path.Equals("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase))
        {
            var key = _app.AuthenticatorKey(email) ?? throw new InvalidOperationException($"{email} needs a code but the test knows no key");
            page = await SubmitAsync(page, "login-2fa", ("Input.Code", _app.Codes.Next(key)));
        }

        return page;
    }

    public async Task<Page> SignOutAsync(Page anyPageWithLayout)
    {
        var form = anyPageWithLayout.Document.QuerySelector("form[action='/Account/Logout']") ?? throw new InvalidOperationException("No sign-out form");
        var token = form.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        return await PostAsync("/Account/Logout", [new("__RequestVerificationToken", token)]);
    }

    public void Dispose() => _client.Dispose();

    private async Task<Page> SendAsync(HttpRequestMessage request, bool follow)
    {
        Hops.Clear();
        var response = await _client.SendAsync(request);
        for (var i = 0; follow && i < 10 && IsRedirect(response.StatusCode); i++)
        {
            Hops.Add((response.StatusCode, request.RequestUri!.ToString()));
            var location = response.Headers.Location!;
            var next = location.IsAbsoluteUri ? location : new Uri(_client.BaseAddress!, location);
            request = new HttpRequestMessage(HttpMethod.Get, next);
            response = await _client.SendAsync(request);
        }

        var html = await response.Content.ReadAsStringAsync();
        var url = request.RequestUri!.IsAbsoluteUri ? request.RequestUri : new Uri(_client.BaseAddress!, request.RequestUri);
        return new Page(response.StatusCode, url, Parser.ParseDocument(html), html, response);
    }

    private static bool IsRedirect(HttpStatusCode code) => code is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect;
}
