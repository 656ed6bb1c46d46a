using System.ComponentModel;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;

namespace TrialManager.Benchmarks.Soak;

/// <summary>What one blinded person's crawl read and found.</summary>
internal sealed class CrawlReport(string person)
{
    public string Person { get; } = person;

    public int Pages { get; set; }

    public int Pdfs { get; set; }

    /// <summary>Downloads of a kind the crawl cannot read (none expected; listed in the report).</summary>
    public List<string> Unread { get; } = [];

    /// <summary>Other downloads read as text (CSV, XML, the files of a zip).</summary>
    public int TextFiles { get; set; }

    /// <summary>PDFs whose text could not be read (no pdftotext on the machine); their raw bytes were still searched.</summary>
    public int PdfsUnread { get; set; }

    /// <summary>Links that led to a refusal or "not found" (4xx): a page offered something the person may not have.</summary>
    public List<string> Refused { get; } = [];

    /// <summary>5xx answers, no answers, and a lost session: errors.</summary>
    public List<string> Errors { get; } = [];

    public List<string> Leaks { get; } = [];

    /// <summary>Links not followed because their shape had been read enough (per-shape limit).</summary>
    public int LeftOut { get; set; }

    /// <summary>True when the crawl stopped at its request limit with links still queued.</summary>
    public bool Truncated { get; set; }

    public int Requests => Pages + Pdfs + TextFiles + Unread.Count + Refused.Count + Errors.Count;
}

/// <summary>
/// Reads everything a signed-in person can reach from home by following links (same origin, GET only), and looks in
/// every page, PDF and text download for the trial's arm codes and labels. A page's visible text and every attribute
/// value are searched, a PDF's extracted text and its raw bytes (where metadata sits), and the downloaded file's name.
/// Bounded: a few addresses per shape (/participants/{id} is one shape) and a request limit.
/// </summary>
internal sealed partial class BlindCrawler(SoakBrowser browser, IReadOnlyList<string> secrets, int perShape, int maxRequests)
{
    private static readonly HtmlParser Parser = new();
    private static readonly Uri Origin = new("http://app.invalid");
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _shapes = new(StringComparer.Ordinal);
    private static bool? _pdfToText;

    public async Task<CrawlReport> CrawlAsync(string person)
    {
        var report = new CrawlReport(person);
        Enqueue("/", "/", report);
        while (_queue.Count > 0)
        {
            if (report.Requests >= maxRequests)
            {
                report.Truncated = true;
                break;
            }

            var url = _queue.Dequeue();
            try
            {
                await ReadAsync(url, await browser.SendAsync(HttpMethod.Get, url), report);
            }
            catch (UnexpectedAnswerException failure)
            {
                report.Errors.Add($"{url}: {failure.Detail}");
            }
            catch (InvalidDataException e)
            {
                report.Errors.Add($"{url}: {e.Message}");
            }
        }

        return report;
    }

    /// <summary>A path's shape: ids and kit codes replaced, the query left off (so paging counts as one shape).</summary>
    public static string Shape(string url)
    {
        var segments = url.Split('?')[0].Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (Guid.TryParse(segments[i], out _))
            {
                segments[i] = "{id}";
            }
            else if (i > 0 && segments[i - 1] == "kits" && segments[i].Length > 0)
            {
                segments[i] = "{kit}";
            }
            else if (segments[i].Length > 0 && segments[i].All(char.IsAsciiDigit))
            {
                segments[i] = "{n}";
            }
        }

        return string.Join('/', segments);
    }

    private async Task ReadAsync(string url, SoakBrowser.Answer answer, CrawlReport report)
    {
        if (answer.IsRedirect)
        {
            if (answer.Location!.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase))
            {
                report.Errors.Add($"{url}: sent to sign in ({answer.Location}), the session was lost");
            }
            else
            {
                Enqueue(url, answer.Location, report);
            }

            return;
        }

        if ((int)answer.Status >= 500)
        {
            report.Errors.Add($"{url}: {(int)answer.Status}");
            return;
        }

        if (answer.Status != HttpStatusCode.OK)
        {
            report.Refused.Add($"{url}: {(int)answer.Status}");
            return;
        }

        if (answer.FileName is { } fileName)
        {
            Search(url, "file name", fileName, report);
        }

        switch (answer.MediaType)
        {
            case "text/html":
                report.Pages++;
                var document = Parser.ParseDocument(answer.Text);
                Search(url, "page text", document.DocumentElement.TextContent, report);
                foreach (var element in document.All)
                {
                    foreach (var attribute in element.Attributes)
                    {
                        Search(url, $"<{element.LocalName} {attribute.Name}>", attribute.Value, report);
                    }
                }

                foreach (var link in document.QuerySelectorAll("a[href]"))
                {
                    Enqueue(url, link.GetAttribute("href")!, report);
                }

                break;
            case "application/pdf":
                report.Pdfs++;
                Search(url, "PDF bytes", Encoding.Latin1.GetString(answer.Body), report);
                if (await PdfTextAsync(answer.Body) is { } text)
                {
                    Search(url, "PDF text", text, report);
                }
                else
                {
                    report.PdfsUnread++;
                }

                break;
            case "application/zip":
                // Exports come zipped: every file inside is read as text, and its name searched too.
                report.TextFiles++;
                using (var zip = new ZipArchive(new MemoryStream(answer.Body), ZipArchiveMode.Read))
                {
                    foreach (var entry in zip.Entries)
                    {
                        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
                        Search(url, "zip entry name", entry.FullName, report);
                        Search(url, $"zip entry {entry.FullName}", await reader.ReadToEndAsync(), report);
                    }
                }

                break;
            default:
                if (answer.MediaType.StartsWith("text/", StringComparison.Ordinal) || answer.MediaType.EndsWith("xml", StringComparison.Ordinal) || answer.MediaType.EndsWith("json", StringComparison.Ordinal))
                {
                    report.TextFiles++;
                    Search(url, answer.MediaType, answer.Text, report);
                }
                else
                {
                    report.Unread.Add($"{url} ({answer.MediaType})");
                }

                break;
        }
    }

    private void Search(string url, string where, string text, CrawlReport report)
    {
        var collapsed = Whitespace().Replace(text, " ");
        foreach (var secret in secrets)
        {
            var at = collapsed.IndexOf(secret, StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                var from = Math.Max(0, at - 40);
                report.Leaks.Add($"{url} [{where}] \"{secret}\": …{collapsed[from..Math.Min(collapsed.Length, at + secret.Length + 40)]}…");
            }
        }
    }

    private void Enqueue(string from, string href, CrawlReport report)
    {
        if (href.StartsWith('#') || href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) || href.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (!Uri.TryCreate(new Uri(Origin, from), href, out var target) || target.Authority != Origin.Authority && !IsAppInstance(target))
        {
            return;
        }

        var url = target.PathAndQuery;
        // Signing out would end the crawl; everything else reachable by a link is read.
        if (url.StartsWith("/Account/Logout", StringComparison.OrdinalIgnoreCase) || !_seen.Add(url))
        {
            return;
        }

        var shape = Shape(url);
        var count = _shapes.GetValueOrDefault(shape);
        if (count >= perShape)
        {
            report.LeftOut++;
            return;
        }

        _shapes[shape] = count + 1;
        _queue.Enqueue(url);
    }

    private static bool IsAppInstance(Uri target) => target.IsLoopback;

    /// <summary>The PDF's text as poppler's pdftotext reads it, or null when the tool is not installed.</summary>
    private static async Task<string?> PdfTextAsync(byte[] pdf)
    {
        if (_pdfToText == false)
        {
            return null;
        }

        var info = new ProcessStartInfo("pdftotext") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var argument in new[] { "-enc", "UTF-8", "-", "-" })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("pdftotext did not start");
            _pdfToText = true;
        }
        catch (Win32Exception)
        {
            _pdfToText = false;
            return null;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.StandardInput.BaseStream.WriteAsync(pdf);
            process.StandardInput.Close();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? await output : throw new InvalidDataException($"pdftotext could not read the PDF: {(await errors).Trim()}");
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
