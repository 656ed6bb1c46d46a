using System.Net;
using System.Text;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace TrialManager.Benchmarks.Soak;

/// <summary>A page as the browser ended up with it (after any redirects).</summary>
public sealed class SoakPage(string path, IHtmlDocument document)
{
    public string Path { get; } = path;

    public IHtmlDocument Document { get; } = document;

    /// <summary>The form rendered for <paramref name="name"/> (Blazor's hidden _handler field names it), or null.</summary>
    public IHtmlFormElement? Form(string name) =>
        Document.Forms.FirstOrDefault(f => f.Elements.OfType<IHtmlInputElement>().Any(i => i.Name == "_handler" && i.Value == name));

    public string? Text(string selector) => Document.QuerySelector(selector)?.TextContent.Trim();

    /// <summary>The value a field of the page holds (an input's value, or a select's chosen option).</summary>
    public string? Value(string name) => Document.QuerySelector($"[name='{name}']") switch
    {
        IHtmlInputElement input => input.Value,
        IHtmlSelectElement select => select.Value,
        _ => null,
    };
}

/// <summary>
/// One person's browser over real HTTP: cookies kept, redirects followed the way a browser follows them, forms filled
/// from the page and posted with their antiforgery token. Requests go to the app instances in turn (a load balancer
/// without affinity). Every answer is counted in the ledger; the step-level calls (<see cref="PageAsync"/>,
/// <see cref="SubmitAsync"/>, <see cref="DownloadAsync"/>) throw <see cref="UnexpectedAnswerException"/> on anything a browser would
/// show as a problem.
/// </summary>
public sealed class SoakBrowser : IDisposable
{
    private const int MaxRedirects = 5;
    private static readonly HtmlParser Parser = new();
    private readonly HttpClient _client;
    private readonly IReadOnlyList<Uri> _instances;
    private readonly SoakLedger _ledger;
    private int _turn;

    /// <param name="instances">The app instances' base addresses, in the ledger's order.</param>
    /// <param name="only">Send everything to this one instance (the crawl reads one instance); null for all in turn.</param>
    public SoakBrowser(IReadOnlyList<Uri> instances, SoakLedger ledger, TimeSpan timeout, int firstTurn = 0, int? only = null)
    {
        _instances = instances;
        _ledger = ledger;
        _turn = firstTurn;
        Only = only;
        // Cookies belong to the host, not the port: one jar serves every instance, as one browser behind one name.
        _client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            Timeout = timeout,
        };
    }

    public int? Only { get; }

    /// <summary>One answer, whole.</summary>
    public sealed record Answer(string Method, string Url, int Instance, HttpStatusCode Status, string? Location, string MediaType, byte[] Body, string? FileName)
    {
        public bool IsRedirect => (int)Status is >= 300 and < 400 && Location is not null;

        public string Text => Encoding.UTF8.GetString(Body);
    }

    /// <summary>Sends one request to the next instance and reads the whole answer; no answer (refused, timed out) is a <see cref="UnexpectedAnswerException"/>.</summary>
    public async Task<Answer> SendAsync(HttpMethod method, string url, HttpContent? content = null)
    {
        var instance = Only ?? (Interlocked.Increment(ref _turn) % _instances.Count);
        var path = Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal) ? absolute.PathAndQuery : url;
        using var request = new HttpRequestMessage(method, new Uri(_instances[instance], path)) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        }
        catch (TaskCanceledException)
        {
            throw new UnexpectedAnswerException(method.Method, path, null, $"no answer within {_client.Timeout.TotalSeconds:0} s (instance {instance + 1})");
        }
        catch (HttpRequestException e)
        {
            throw new UnexpectedAnswerException(method.Method, path, null, $"instance {instance + 1}: {e.Message}");
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync();
            var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
            var answer = new Answer(method.Method, path, instance, response.StatusCode, response.Headers.Location?.OriginalString, mediaType, body,
                response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
            _ledger.Request(
                method == HttpMethod.Post ? RequestKind.Form : answer.IsRedirect ? RequestKind.Redirect : mediaType == "application/pdf" ? RequestKind.Pdf : RequestKind.Page,
                instance);
            return answer;
        }
    }

    /// <summary>GETs a page, following redirects; anything but a page at the end (an error, a sign-in form, a file) fails.</summary>
    public async Task<SoakPage> PageAsync(string url) => Page(await FollowAsync(await SendAsync(HttpMethod.Get, url)));

    /// <summary>
    /// Posts the named form of <paramref name="page"/> as a browser would (its hidden fields, filled fields, checked
    /// boxes and chosen options) with <paramref name="values"/> in place of same-named fields; a name given more than
    /// once posts each value. The app answers a good post with a redirect; a form shown again (it had something to
    /// say about what was entered) is a failure, with its messages.
    /// </summary>
    public async Task<SoakPage> SubmitAsync(SoakPage page, string formName, IEnumerable<KeyValuePair<string, string>> values)
    {
        var form = page.Form(formName) ?? throw new UnexpectedAnswerException("GET", page.Path, HttpStatusCode.OK, $"the page has no form '{formName}' ({Messages(page.Document)})");
        var given = values.ToList();
        var names = given.Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            var name = element.GetAttribute("name");
            if (string.IsNullOrEmpty(name) || names.Contains(name) || element.HasAttribute("disabled"))
            {
                continue;
            }

            switch (element)
            {
                case IHtmlInputElement { Type: "submit" or "button" or "reset" or "file" }:
                    break;
                case IHtmlInputElement { Type: "checkbox" or "radio" } box:
                    if (box.IsChecked)
                    {
                        fields.Add(new(name, box.Value));
                    }

                    break;
                case IHtmlInputElement input:
                    fields.Add(new(name, input.Value));
                    break;
                case IHtmlSelectElement select:
                    // A single select with nothing marked sends its first option, as browsers do.
                    var chosen = select.SelectedOptions.Select(o => o.Value).DefaultIfEmpty(select.Options.Length > 0 ? select.Options[0].Value : null).OfType<string>();
                    fields.AddRange(chosen.Select(v => new KeyValuePair<string, string>(name, v)));
                    break;
                case IHtmlTextAreaElement area:
                    fields.Add(new(name, area.Value));
                    break;
            }
        }

        fields.AddRange(given);
        var action = form.GetAttribute("action");
        var target = string.IsNullOrEmpty(action) ? page.Path : action;
        var posted = await SendAsync(HttpMethod.Post, target, new FormUrlEncodedContent(fields));
        if (!posted.IsRedirect)
        {
            var detail = posted.Status == HttpStatusCode.OK && posted.MediaType == "text/html"
                ? $"the form '{formName}' came back instead of going on: {Messages(Parser.ParseDocument(posted.Text))}"
                : $"posting the form '{formName}' was answered with {(int)posted.Status}{Snippet(posted)}";
            throw new UnexpectedAnswerException("POST", target, posted.Status, detail);
        }

        return Page(await FollowAsync(posted));
    }

    /// <summary>GETs a file; it must come whole, with the media type asked for (a PDF must also start like one).</summary>
    public async Task<byte[]> DownloadAsync(string url, string mediaType = "application/pdf")
    {
        var answer = await SendAsync(HttpMethod.Get, url);
        if (answer.Status != HttpStatusCode.OK || answer.MediaType != mediaType)
        {
            throw new UnexpectedAnswerException("GET", url, answer.Status, $"expected {mediaType}, got {answer.MediaType}{(answer.IsRedirect ? " to " + answer.Location : "")}{Snippet(answer)}");
        }

        if (mediaType == "application/pdf" && !answer.Body.AsSpan().StartsWith("%PDF-"u8))
        {
            throw new UnexpectedAnswerException("GET", url, answer.Status, $"not a PDF ({answer.Body.Length} bytes)");
        }

        return answer.Body;
    }

    /// <summary>Signs in through the login form, and the authenticator step when the account has one; ends on home.</summary>
    public async Task SignInAsync(string email, string password, string? authenticatorKey)
    {
        var login = await PageAsync("/Account/Login");
        var landed = await SubmitAsync(login, "login", [new("Input.Email", email), new("Input.Password", password)]);
        if (landed.Path.StartsWith("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase))
        {
            var key = authenticatorKey ?? throw new UnexpectedAnswerException("POST", "/Account/Login", HttpStatusCode.OK, $"{email} was asked for an authenticator code and the soak knows no key");
            landed = await SubmitAsync(landed, "login-2fa", [new("Input.Code", Web.Account.OneTimeAuthenticatorTokenProvider.CodeAt(key, DateTimeOffset.UtcNow))]);
        }

        if (landed.Path != "/")
        {
            throw new UnexpectedAnswerException("GET", landed.Path, HttpStatusCode.OK, $"{email} was not signed in: the sign-in ended on {landed.Path}");
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<Answer> FollowAsync(Answer answer)
    {
        for (var hop = 0; answer.IsRedirect && hop < MaxRedirects; hop++)
        {
            var location = answer.Location!;
            if (Uri.TryCreate(location, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal))
            {
                if (!_instances.Any(i => i.Authority == absolute.Authority))
                {
                    throw new UnexpectedAnswerException(answer.Method, answer.Url, answer.Status, $"redirected off the app, to {location}");
                }

                location = absolute.PathAndQuery;
            }

            if (location.StartsWith("/Account/Login", StringComparison.OrdinalIgnoreCase) && !answer.Url.StartsWith("/Account/Login", StringComparison.OrdinalIgnoreCase))
            {
                throw new UnexpectedAnswerException(answer.Method, answer.Url, answer.Status, $"sent to sign in ({location}): the session was lost");
            }

            answer = await SendAsync(HttpMethod.Get, location);
        }

        return answer;
    }

    private static SoakPage Page(Answer answer)
    {
        if (answer.Status != HttpStatusCode.OK || answer.MediaType != "text/html")
        {
            throw new UnexpectedAnswerException(answer.Method, answer.Url, answer.Status, $"expected a page, got {answer.MediaType}{(answer.IsRedirect ? " to " + answer.Location : "")}{Snippet(answer)}");
        }

        return new SoakPage(answer.Url, Parser.ParseDocument(answer.Text));
    }

    /// <summary>What a page says went wrong: its form-level alert and the messages beside fields.</summary>
    private static string Messages(IHtmlDocument document)
    {
        var messages = document.QuerySelectorAll("[role=alert], .validation-message, .validation-errors li")
            .Select(e => e.TextContent.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return messages.Count == 0 ? "no message shown" : string.Join(" | ", messages);
    }

    private static string Snippet(Answer answer)
    {
        if (answer.Body.Length == 0 || answer.MediaType is not ("text/html" or "text/plain" or "application/json" or "application/problem+json"))
        {
            return "";
        }

        var text = answer.MediaType == "text/html" ? Parser.ParseDocument(answer.Text).Body?.TextContent ?? "" : answer.Text;
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return ": " + (text.Length > 300 ? text[..300] + "…" : text);
    }
}
