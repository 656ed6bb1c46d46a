using System.Net;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// Follows every same-site link a signed-in browser can reach, breadth first, GET only (it never submits forms, so it
/// changes nothing). New pages are covered without editing any test.
/// </summary>
public static class LinkCrawler
{
    public static async Task<IReadOnlyList<Page>> CrawlAsync(TestBrowser browser, string start = "/", int maxPages = 400)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { "/Account/Logout" };
        var queue = new Queue<string>([start]);
        var pages = new List<Page>();
        while (queue.Count > 0 && pages.Count < maxPages)
        {
            var url = queue.Dequeue();
            if (!seen.Add(url))
            {
                continue;
            }

            var page = await browser.GetAsync(url);
            pages.Add(page);
            if (page.Status != HttpStatusCode.OK)
            {
                continue;
            }

            foreach (var href in page.Links)
            {
                var local = Normalize(href);
                if (local is not null && !seen.Contains(local))
                {
                    queue.Enqueue(local);
                }
            }
        }

        return pages;
    }

    private static string? Normalize(string href)
    {
        if (href.StartsWith('#') || href.StartsWith("mailto:", StringComparison.Ordinal) || href.StartsWith("//", StringComparison.Ordinal))
        {
            return null;
        }

        // Root-relative first: on Linux "/x" would also parse as an absolute file:// URI.
        if (href.StartsWith('/'))
        {
            return href.Split('#')[0];
        }

        if (href.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || href.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(href, UriKind.Absolute, out var absolute) && absolute.Host == "localhost" ? absolute.PathAndQuery : null;
        }

        // Relative to <base href="/">.
        return "/" + href.Split('#')[0];
    }
}
