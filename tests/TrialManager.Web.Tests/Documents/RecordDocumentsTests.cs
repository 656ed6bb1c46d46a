using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Documents.Tests;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Documents;

/// <summary>
/// The visit CRF, the SAE report and the audit trail as PDFs, read back with poppler as a monitor would read them:
/// their content, page numbering, the signature manifestation, their access checks, and that no arm gets in.
/// </summary>
public partial class RecordDocumentsTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static async Task<byte[]> PdfAsync(TestBrowser browser, string url)
    {
        var response = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/pdf", response.Response.Content.Headers.ContentType?.MediaType);
        return await response.Response.Content.ReadAsByteArrayAsync();
    }

    private static void AssertNumbered(string[] pages)
    {
        for (var i = 0; i < pages.Length; i++)
        {
            Assert.Contains($"Page {i + 1} of {pages.Length}", pages[i], StringComparison.Ordinal);
        }
    }

    /// <summary>Joins pdftotext's layout columns back into single-spaced text, so phrases can be looked for.</summary>
    private static string Flat(string text) => Spaces().Replace(text, " ");

    private async Task<Guid> ParticipantWithCompleteScreeningAsync()
    {
        var (id, _, _) = await app.RegisterParticipantAsync("coordinator");
        var protocol = ProtocolLoader.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", "psilocybin-mdd.yaml")), "p.yaml").Protocol!;
        foreach (var formCode in protocol.ScreeningVisit.Forms)
        {
            var form = protocol.FindForm(formCode)!;
            var values = form.Fields.ToDictionary(f => f.Code, f => (string?)(f.Type switch
            {
                FieldType.SingleChoice or FieldType.MultipleChoice => f.Choices[0].Code,
                FieldType.YesNo => "no",
                FieldType.Date => "2026-11-01",
                FieldType.Integer or FieldType.Decimal => ((int)(((f.Minimum ?? 0) + (f.Maximum ?? f.Minimum ?? 0)) / 2)).ToString(CultureInfo.InvariantCulture),
                _ => "ok",
            }));
            var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "SCR", formCode, values, true, null)));
            Assert.True(saved.Succeeded, formCode);
        }

        return id;
    }

    [Fact]
    public async Task The_visit_CRF_shows_the_values_and_the_signature_manifestation_and_then_that_it_broke()
    {
        var id = await ParticipantWithCompleteScreeningAsync();
        using var investigator = app.NewBrowser();
        await investigator.SignInAsync("investigator");

        var unsigned = Poppler.Pages(await PdfAsync(investigator, $"/participants/{id}/visits/SCR/crf.pdf"));
        AssertNumbered(unsigned);
        var unsignedText = Flat(string.Join("\n", unsigned));
        Assert.Contains("Not signed", unsignedText, StringComparison.Ordinal);
        Assert.Contains("DEP9", unsignedText, StringComparison.Ordinal);

        var signed = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignVisit>().ExecuteAsync(id, "SCR", "Reviewed and approved", app.Account("investigator").Password));
        Assert.True(signed.Succeeded);
        var signedAt = await app.WithDbAsync(db => db.Signatures.Where(s => s.ParticipantId == id).Select(s => s.SignedAt).SingleAsync());
        var bytes = await PdfAsync(investigator, $"/participants/{id}/visits/SCR/crf.pdf");
        Poppler.SavePngs(bytes, "visit-crf-signed");
        var text = Flat(Poppler.Text(bytes));
        Assert.Contains("Ines Investigator", text, StringComparison.Ordinal);
        Assert.Contains("Reviewed and approved", text, StringComparison.Ordinal);
        Assert.Contains(signedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
        Assert.DoesNotContain("Not signed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BROKEN", text, StringComparison.Ordinal);

        // A correction after signing: the document says the signature no longer covers what is there.
        var values = await app.WithDbAsync(db => db.FormValues.Where(v => v.FormEntryId == db.FormEntries.Where(e => e.ParticipantId == id && e.FormCode == "DEP9").Select(e => e.Id).Single()).ToDictionaryAsync(v => v.FieldCode, v => (string?)v.Value));
        values["d1"] = "3";
        var corrected = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "SCR", "DEP9", values, true, "Source document re-read")));
        Assert.True(corrected.Succeeded);
        Assert.Contains("SIGNATURE BROKEN", Flat(Poppler.Text(await PdfAsync(investigator, $"/participants/{id}/visits/SCR/crf.pdf"))), StringComparison.Ordinal);

        // Every download is in the audit trail with the document's content hash.
        var downloads = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.ParticipantId == id && e.Action == "DownloadPdf").Select(e => e.Changes).ToListAsync());
        Assert.Equal(3, downloads.Count);
        Assert.All(downloads, d => Assert.Matches("\"ContentHash\":\"[0-9a-f]{64}\"", d));
    }

    [Fact]
    public async Task The_visit_CRF_is_refused_like_the_participant_page()
    {
        var (id, _, _) = await app.RegisterParticipantAsync("coordinator");
        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        Assert.Equal(HttpStatusCode.NotFound, (await bos.GetAsync($"/participants/{id}/visits/SCR/crf.pdf")).Status);

        using var dsmb = app.NewBrowser();
        await dsmb.SignInAsync("dsmb");
        var refused = await dsmb.GetAsync($"/participants/{id}/visits/SCR/crf.pdf", follow: false);
        Assert.True(refused.Status == HttpStatusCode.Forbidden || (refused.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal));

        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        Assert.Equal(HttpStatusCode.NotFound, (await coordinator.GetAsync($"/participants/{id}/visits/NOPE/crf.pdf")).Status);
    }

    [Fact]
    public async Task The_SAE_report_of_a_randomized_participant_names_the_drug_blinded_and_holds_no_arm()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "PDFSAE");
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
        Assert.True(randomized.Succeeded);
        var kit = await app.WithDbAsync(db => db.Dispensings.Where(d => d.ParticipantId == id).Select(d => d.KitCode).FirstAsync());
        var ae = await app.ReportAsync("investigator", id, app.Serious("LON", "Convulsion"));

        using var investigator = app.NewBrowser();
        await investigator.SignInAsync("investigator");
        var bytes = await PdfAsync(investigator, $"/adverse-events/{ae.Id}/report.pdf");
        Poppler.SavePngs(bytes, "sae-report");
        var pages = Poppler.Pages(bytes);
        AssertNumbered(pages);
        var text = Flat(string.Join("\n", pages));
        Assert.Contains(ae.Number, text, StringComparison.Ordinal);
        Assert.Contains("Convulsion", text, StringComparison.Ordinal);
        Assert.Contains("Requires or prolongs hospital admission", text, StringComparison.Ordinal);
        Assert.Contains(kit, text, StringComparison.Ordinal);
        Assert.Contains("blinded", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Not signed", text, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        var signed = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignAdverseEvent>().ExecuteAsync(ae.Id, "Authored", app.Account("investigator").Password));
        Assert.True(signed.Succeeded);
        var after = Flat(Poppler.Text(await PdfAsync(investigator, $"/adverse-events/{ae.Id}/report.pdf")));
        Assert.Contains("Ines Investigator", after, StringComparison.Ordinal);
        Assert.Contains("Authored", after, StringComparison.Ordinal);

        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        Assert.Equal(HttpStatusCode.NotFound, (await bos.GetAsync($"/adverse-events/{ae.Id}/report.pdf")).Status);
    }

    [Fact]
    public async Task The_audit_trail_PDF_follows_the_filter_and_scoping_and_shows_sealed_values_masked()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "PDFAUD");
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id))).Succeeded);

        using var manager = app.NewBrowser();
        await manager.SignInAsync("datamanager");
        var bytes = await PdfAsync(manager, $"/audit/export.pdf?participant={id}");
        Poppler.SavePngs(bytes, "audit-trail");
        var pages = Poppler.Pages(bytes);
        AssertNumbered(pages);
        var text = Flat(string.Join("\n", pages));
        Assert.Contains("Randomize", text, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        // The BOS coordinator's extract of the same filter holds nothing of London.
        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        var bosText = Flat(Poppler.Text(await PdfAsync(bos, $"/audit/export.pdf?participant={id}")));
        Assert.DoesNotContain("Randomize", bosText, StringComparison.Ordinal);

        using var dsmb = app.NewBrowser();
        await dsmb.SignInAsync("dsmb");
        var refused = await dsmb.GetAsync("/audit/export.pdf", follow: false);
        Assert.True(refused.Status == HttpStatusCode.Forbidden || (refused.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
