using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace TrialManager.E2E.Tests.Infrastructure;

/// <summary>
/// One browser context (its own cookies) and its page. Collects everything that would show up red in the browser's
/// developer tools: console errors (a Content-Security-Policy violation, a failed stylesheet or script, a 404), uncaught
/// page errors, and CSP violations reported by the page's own securitypolicyviolation event.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>
    /// Installed through the DevTools protocol before any page script, so the page's CSP does not block it. Chromium
    /// also logs a violation as a console error; this makes the report independent of that wording.
    /// </summary>
    private const string CspListener =
        "document.addEventListener('securitypolicyviolation', e => console.error(" +
        "'CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));";

    private readonly ConcurrentQueue<string> _problems = new();
    private readonly BrowserApp _app;
    private readonly ITestOutputHelper? _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private BrowserSession(BrowserApp app, IBrowserContext context, IPage page, ITestOutputHelper? output)
    {
        _app = app;
        _output = output;
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            Trace($"console {message.Type}: {message.Text}");
            if (message.Type == "error")
            {
                _problems.Enqueue($"console error on {page.Url}: {message.Text}");
            }
        };
        page.PageError += (_, error) => _problems.Enqueue($"page error on {page.Url}: {error}");
        page.Crash += (_, _) => _problems.Enqueue("the page crashed");
        page.Request += (_, request) => Trace($"-> {request.Method} {request.Url}");
        page.Response += (_, response) => Trace($"<- {response.Status} {response.Request.Method} {response.Url}");
        page.RequestFailed += (_, request) => Trace($"!! {request.Method} {request.Url}: {request.Failure}");
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>What went wrong in the browser so far (console errors, page errors, CSP violations).</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    public static async Task<BrowserSession> OpenAsync(BrowserApp app, IBrowserContext context, ITestOutputHelper? output)
    {
        await context.AddInitScriptAsync(CspListener);
        var page = await context.NewPageAsync();
        return new BrowserSession(app, context, page, output);
    }

    /// <summary>
    /// Fails the test if the browser reported any error or the app logged one while serving it.
    /// </summary>
    public async Task AssertNoBrowserOrServerErrorsAsync()
    {
        // What the current page loads (stylesheets, scripts) reports its errors by the load event.
        await Page.WaitForLoadStateAsync(LoadState.Load);
        var problems = _problems.ToList();
        Assert.True(problems.Count == 0, "The browser reported problems:\n" + string.Join("\n", problems));
        var serverErrors = _app.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).ToList();
        Assert.True(serverErrors.Count == 0, "The app logged errors:\n" + string.Join("\n", serverErrors));
    }

    /// <summary>Saves a full-page screenshot as a test artefact and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Artifacts.ScreenshotPath(name);
        // Text can be on screen before the stylesheets are: wait for them, so the picture shows the page as people see it.
        await Page.WaitForLoadStateAsync(LoadState.Load);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();

    /// <summary>What the browser did, in the test's output (shown when a test fails), with the app's clock.</summary>
    private void Trace(string line)
    {
        try
        {
            _output?.WriteLine($"{_clock.Elapsed.TotalSeconds,7:F3}s [app {_app.Clock.GetUtcNow():HH:mm:ss}] {line}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished (xunit refuses output then); late events of a closing page are of no interest.
        }
    }
}
