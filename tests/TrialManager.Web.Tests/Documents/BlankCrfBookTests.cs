using System.Net;
using Microsoft.EntityFrameworkCore;
using TrialManager.Documents;
using TrialManager.Documents.Tests;
using TrialManager.Web.Features.Documents;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Documents;

/// <summary>
/// The blank CRF book of a trial's current protocol, downloaded as a signed-in user and read back with poppler: every
/// form's field codes, a title page of visits and forms, page numbers, no values, no arm; every role may have it.
/// </summary>
public class BlankCrfBookTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static RandomizationTrial? _trial;

    private async Task<RandomizationTrial> TrialAsync()
    {
        await Once.WaitAsync();
        try
        {
            return _trial ??= await RandomizationTrial.CreateAsync(app, "BLANK-01", kitsPerSite: 4, slotsPerStratum: 8);
        }
        finally
        {
            Once.Release();
        }
    }

    [Fact]
    public async Task The_blank_book_has_every_forms_field_codes_a_title_page_and_page_numbers_and_no_arm()
    {
        var trial = await TrialAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var download = await browser.GetAsync($"/trials/{trial.Code}/blank-crf.pdf");

        Assert.Equal(HttpStatusCode.OK, download.Status);
        Assert.Equal("application/pdf", download.Response.Content.Headers.ContentType?.MediaType);
        var pdf = await download.Response.Content.ReadAsByteArrayAsync();
        Poppler.SavePngs(pdf, "blank-crf-book");
        var pages = Poppler.Pages(pdf);
        // White space collapsed: pdftotext -layout pads columns and the hints wrap in their narrow column.
        var text = string.Join(' ', Poppler.Text(pdf).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var protocol = trial.Protocol;
        var formPages = protocol.Visits.Sum(v => v.Forms.Count);
        Assert.True(pages.Length > formPages, $"{pages.Length} pages for {formPages} visit forms.");
        for (var i = 0; i < pages.Length; i++)
        {
            Assert.Contains($"Page {i + 1} of {pages.Length}", pages[i], StringComparison.Ordinal);
            Assert.Contains(trial.Code, pages[i], StringComparison.Ordinal);
            Assert.Contains(protocol.Version, pages[i], StringComparison.Ordinal);
        }

        foreach (var visit in protocol.Visits.Where(v => v.Forms.Count > 0))
        {
            Assert.Contains(visit.Code, pages[0], StringComparison.Ordinal);
            foreach (var code in visit.Forms)
            {
                var form = protocol.FindForm(code)!;
                Assert.Contains(form.Code, pages[0], StringComparison.Ordinal);
                var page = pages.FirstOrDefault(p => p.Contains($"({form.Code})", StringComparison.Ordinal) && p.Contains($"{visit.Code} · ", StringComparison.Ordinal));
                Assert.True(page is not null, $"No page for {visit.Code} {form.Code}.");
                Assert.All(form.Fields, f => Assert.Contains($"[{f.Code}]", page, StringComparison.Ordinal));
            }
        }

        Assert.Contains("mmHg", text, StringComparison.Ordinal);
        Assert.Contains("70 to 220", text, StringComparison.Ordinal);
        Assert.DoesNotContain("(blank)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Not signed", text, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        var coordinator = await app.UserIdAsync("coordinator");
        var entry = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.Action == "DownloadPdf" && e.EntityId == trial.TrialId.ToString() && e.UserId == coordinator).SingleAsync());
        Assert.Equal("Trial", entry.EntityType);
        Assert.Contains("BLANKCRF", entry.Changes, StringComparison.Ordinal);
        Assert.Contains(Poppler.Info(pdf)["Keywords"].Split("content-sha256 ")[1].Trim(), entry.Changes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_box_is_filled_and_no_choice_is_ticked()
    {
        var protocol = (await TrialAsync()).Protocol;
        var document = BlankCrfBook.Build(new BlankCrfBookData("T", "Title", protocol.Sponsor, protocol.Version, protocol.ContentHash, protocol.Visits, protocol.Forms));

        var blocks = document.Blocks.SelectMany(b => b is KeepTogether k ? k.Blocks : [b]).ToList();
        Assert.Contains(blocks, b => b is ChoiceField);
        Assert.Contains(blocks, b => b is EntryField);
        Assert.All(blocks.OfType<ChoiceField>(), f => Assert.DoesNotContain(f.Options, o => o.Selected));
        Assert.All(blocks.OfType<FieldGrid>().SelectMany(g => g.Rows).SelectMany(r => r.Cells), c => Assert.True(string.IsNullOrEmpty(c.Value) && c.Choices is null));
        Assert.DoesNotContain(blocks, b => b is SignatureBlock or CheckBox);
        var codes = blocks.OfType<ChoiceField>().Select(f => f.FieldCode).Concat(blocks.OfType<EntryField>().Select(f => f.FieldCode)).ToHashSet(StringComparer.Ordinal);
        Assert.All(protocol.Forms.SelectMany(f => f.Fields), f => Assert.Contains(f.Code, codes));
    }

    [Theory]
    [InlineData("dsmb")]
    [InlineData("datamanager")]
    public async Task Every_signed_in_role_may_have_it_and_an_unknown_trial_is_404(string local)
    {
        var trial = await TrialAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync(local);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/trials/{trial.Code}/blank-crf.pdf")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/trials/NO-SUCH-TRIAL/blank-crf.pdf")).Status);

        using var anonymous = app.NewBrowser();
        Assert.Contains("/Account/Login", (await anonymous.GetAsync($"/trials/{trial.Code}/blank-crf.pdf", follow: false)).Response.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
    }
}
