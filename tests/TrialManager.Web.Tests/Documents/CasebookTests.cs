using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Documents;
using TrialManager.Documents.Tests;
using TrialManager.Web.Authorization;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Documents;

/// <summary>
/// The participant casebook downloaded as site staff would: a participant screened, randomized and followed through
/// the real operations, then the PDF read back with poppler. Checks content, paging, the audit appendix, that the arm
/// never appears, scoping and roles, and that the download is audited with the content hash.
/// </summary>
public class CasebookTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static Scenario? _scenario;

    private sealed record Scenario(Guid ParticipantId, string Number, DateOnly ConsentedOn, string RandomizationNumber, IReadOnlyList<string> KitCodes, DateTimeOffset ScreeningSignedAt, byte[] Pdf);

    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private async Task<Scenario> ScenarioAsync()
    {
        await Once.WaitAsync();
        try
        {
            return _scenario ??= await CreateAsync();
        }
        finally
        {
            Once.Release();
        }
    }

    private async Task<Scenario> CreateAsync()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "CASEBK-01", kitsPerSite: 8, slotsPerStratum: 12);
        var consented = LocalToday().AddDays(-5);
        var london = await app.SiteIdAsync("LON");
        var registered = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RegisterParticipant>().ExecuteAsync(new RegisterParticipantInput
        {
            TrialId = trial.TrialId.ToString(),
            SiteId = london.ToString(),
            YearOfBirth = "1981",
            Sex = "female",
            ConsentedOn = Iso(consented),
            ConsentFormVersion = "2.0",
        }));
        Assert.True(registered.Succeeded, Describe(registered.Outcome));
        var id = registered.Value!.Id;

        // Screening forms: a depression total of 12 (moderate) makes the participant eligible.
        await SaveAsync(id, "SCR", "DEP9", new() { ["d1"] = "2", ["d2"] = "2", ["d3"] = "2", ["d4"] = "2", ["d5"] = "2", ["d6"] = "2", ["d7"] = "0", ["d8"] = "0", ["d9"] = "0" }, true);
        await SaveAsync(id, "SCR", "ANX7", new() { ["a1"] = "1", ["a2"] = "1", ["a3"] = "1", ["a4"] = "1", ["a5"] = "0", ["a6"] = "0", ["a7"] = "0" }, true);
        await SaveAsync(id, "SCR", "VITALS", new() { ["systolic"] = "128", ["diastolic"] = "82", ["heart_rate"] = "71", ["temperature"] = "36.6", ["weight"] = "70.5", ["new_murmur"] = "no" }, true);
        var screened = await app.AsUserAsync("coordinator", s => s.GetRequiredService<ScreenParticipant>().ExecuteAsync(id, new Dictionary<string, string?>
        {
            ["INC-AGE"] = "45",
            ["INC-CONSENT"] = "yes",
            ["INC-EPISODE"] = "yes",
            ["EXC-PSYCHOSIS"] = "no",
            ["EXC-FAMILY"] = "no",
            ["EXC-SSRI"] = "no",
            ["EXC-MAOI"] = "no",
            ["EXC-LITHIUM"] = "no",
            ["EXC-VALVE"] = "no",
            ["EXC-PREGNANCY"] = "not_applicable",
            ["EXC-SUICIDE"] = "no",
            ["EXC-PSYCHEDELIC"] = "no",
        }));
        Assert.True(screened.Succeeded && screened.Value!.Eligible, Describe(screened.Outcome));
        var signed = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignVisit>().ExecuteAsync(id, "SCR", "Reviewed and approved", app.Account("investigator").Password));
        Assert.True(signed.Succeeded, Describe(signed));

        var assignment = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
        Assert.True(assignment.Succeeded, Describe(assignment.Outcome));
        // A baseline form left as a draft: the D0 visit prints "Not signed".
        await SaveAsync(id, "D0", "VITALS", new() { ["systolic"] = "131", ["diastolic"] = "84", ["heart_rate"] = "68" }, false);

        app.Clock.Advance(TimeSpan.FromDays(8));
        foreach (var (day, took) in new[] { ("1", true), ("4", true), ("7", false) })
        {
            var diary = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDiary>().ExecuteAsync(id, day, took));
            Assert.True(diary.Succeeded, Describe(diary));
        }

        await SaveAsync(id, "W1", "DEP9", new() { ["d1"] = "1", ["d2"] = "1", ["d3"] = "2", ["d4"] = "1", ["d5"] = "0", ["d6"] = "1", ["d7"] = "0", ["d8"] = "0", ["d9"] = "0" }, true);
        await SaveAsync(id, "W1", "VITALS", new() { ["systolic"] = "122", ["diastolic"] = "79", ["heart_rate"] = "66", ["new_murmur"] = "no" }, true);
        var deviation = await app.AsUserAsync("investigator", s => s.GetRequiredService<ReportDeviation>().ExecuteAsync(id, null, "Capsule taken with grapefruit juice"));
        Assert.True(deviation.Succeeded, Describe(deviation));

        var headache = await ReportAsync(id, Event("Headache"));
        var seizure = Event("Seizure");
        seizure.Grade = "3";
        seizure.Serious = true;
        seizure.SeriousnessCriteria = ["hospitalization"];
        seizure.Causality = "Related";
        seizure.ActionTaken = "DrugInterrupted";
        seizure.Narrative = "Admitted overnight for observation.";
        var serious = await ReportAsync(id, seizure);
        var assessed = await app.AsUserAsync("safety", s => s.GetRequiredService<AssessAdverseEvent>().ExecuteAsync(serious, new AssessmentInput
        {
            SponsorCausality = "Related",
            Expected = "no",
            Rationale = "Not in the reference safety information.",
        }));
        Assert.True(assessed.Succeeded, Describe(assessed.Outcome));
        var aeSigned = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignAdverseEvent>().ExecuteAsync(headache, "Authored", app.Account("investigator").Password));
        Assert.True(aeSigned.Succeeded, Describe(aeSigned));

        var participant = await app.WithDbAsync(db => db.Participants.AsNoTracking().SingleAsync(p => p.Id == id));
        var kits = await app.WithDbAsync(db => db.Dispensings.Where(d => d.ParticipantId == id).Select(d => d.KitCode).ToListAsync());
        var signedAt = await app.WithDbAsync(db => db.Signatures.Where(s => s.ParticipantId == id && s.VisitCode == "SCR").Select(s => s.SignedAt).SingleAsync());

        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var download = await browser.GetAsync($"/participants/{id}/casebook.pdf");
        Assert.Equal(HttpStatusCode.OK, download.Status);
        Assert.Equal("application/pdf", download.Response.Content.Headers.ContentType?.MediaType);
        var pdf = await download.Response.Content.ReadAsByteArrayAsync();
        Poppler.SavePngs(pdf, "casebook");
        return new Scenario(id, participant.Number, consented, participant.RandomizationNumber!, kits, signedAt, pdf);
    }

    [Fact]
    public async Task The_casebook_holds_consent_randomization_kits_visits_events_and_signatures()
    {
        var s = await ScenarioAsync();
        var text = Flat(Poppler.Text(s.Pdf));

        Assert.Contains($"Participant casebook: {s.Number}", text, StringComparison.Ordinal);
        Assert.Contains(Iso(s.ConsentedOn), text, StringComparison.Ordinal);
        Assert.Contains(s.RandomizationNumber, text, StringComparison.Ordinal);
        Assert.NotEmpty(s.KitCodes);
        Assert.All(s.KitCodes, kit => Assert.Contains(kit, text, StringComparison.Ordinal));
        Assert.Contains("INC-AGE", text, StringComparison.Ordinal);
        Assert.Contains("Eligible", text, StringComparison.Ordinal);
        Assert.Contains("128 mmHg", text, StringComparison.Ordinal);
        Assert.Contains("122 mmHg", text, StringComparison.Ordinal);
        Assert.Contains("Visit W1: Week 1", text, StringComparison.Ordinal);
        Assert.Contains("67 %", text, StringComparison.Ordinal); // diary: 2 of the 3 doses due by day 8
        Assert.Contains("Headache", text, StringComparison.Ordinal);
        Assert.Contains("Seizure", text, StringComparison.Ordinal);
        Assert.Contains("suspected unexpected serious adverse reaction", text, StringComparison.Ordinal);
        Assert.Contains("grapefruit", text, StringComparison.Ordinal);

        Assert.Contains("Not signed", text, StringComparison.Ordinal);
        Assert.Contains("Signed by: Ines Investigator", text, StringComparison.Ordinal);
        Assert.Contains("Date and time: " + s.ScreeningSignedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC", text, StringComparison.Ordinal);
        Assert.Contains("Meaning: Reviewed and approved", text, StringComparison.Ordinal);
        Assert.Contains("Meaning: Authored", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_page_says_page_x_of_y_and_the_audit_appendix_repeats_its_header_on_continuation_pages()
    {
        var s = await ScenarioAsync();
        var pages = Poppler.Pages(s.Pdf);
        Assert.True(pages.Length >= 4, $"Only {pages.Length} pages.");
        for (var i = 0; i < pages.Length; i++)
        {
            Assert.Contains($"Page {i + 1} of {pages.Length}", pages[i], StringComparison.Ordinal);
        }

        var appendix = Array.FindIndex(pages, p => p.Contains("Appendix: audit trail", StringComparison.Ordinal));
        Assert.True(appendix > 0, "No audit appendix.");
        Assert.True(pages.Length - appendix >= 2, "The audit appendix should run over more than one page here.");
        foreach (var page in pages[appendix..])
        {
            Assert.Contains("When (UTC)", page, StringComparison.Ordinal);
            Assert.Contains("Changes and reason", page, StringComparison.Ordinal);
        }

        var appendixText = string.Concat(pages[appendix..]);
        Assert.Contains("Randomize", appendixText, StringComparison.Ordinal);
        Assert.Contains("Screen", appendixText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_casebook_never_shows_the_arm()
    {
        var s = await ScenarioAsync();
        var text = Poppler.Text(s.Pdf);
        var flat = Flat(text);
        var info = string.Join("\n", Poppler.Info(s.Pdf).Values);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, flat, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, info, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task The_download_is_audited_with_its_content_hash()
    {
        var s = await ScenarioAsync();
        var keywords = Poppler.Info(s.Pdf)["Keywords"];
        var hash = keywords[(keywords.IndexOf("content-sha256 ", StringComparison.Ordinal) + "content-sha256 ".Length)..].Trim();
        Assert.Equal(64, hash.Length);
        Assert.Contains(hash[..RenderedPdf.FooterHashLength], Poppler.Pages(s.Pdf)[0], StringComparison.Ordinal);

        var coordinator = await app.UserIdAsync("coordinator");
        var entry = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking()
            .Where(e => e.Action == "DownloadPdf" && e.ParticipantId == s.ParticipantId && e.UserId == coordinator).OrderBy(e => e.ChainSeq).FirstAsync());
        Assert.Equal("Participant", entry.EntityType);
        Assert.Equal(s.ParticipantId.ToString(), entry.EntityId);
        Assert.Contains("CASEBOOK", entry.Changes, StringComparison.Ordinal);
        Assert.Contains(hash, entry.Changes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_sites_coordinator_gets_404_and_roles_without_participant_records_are_refused()
    {
        var s = await ScenarioAsync();
        var url = $"/participants/{s.ParticipantId}/casebook.pdf";
        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        Assert.Equal(HttpStatusCode.NotFound, (await bos.GetAsync(url, follow: false)).Status);

        await app.EnrolAuthenticatorAsync("admin");
        foreach (var local in new[] { "dsmb", "admin" })
        {
            using var browser = app.NewBrowser();
            Assert.Equal("/", (await browser.SignInAsync(local)).Path);
            var refused = await browser.GetAsync(url, follow: false);
            Assert.True(
                refused.Status == HttpStatusCode.Forbidden || (refused.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal),
                $"{local}: {(int)refused.Status} {refused.Response.Headers.Location}");
        }

        using var anonymous = app.NewBrowser();
        Assert.Contains("/Account/Login", (await anonymous.GetAsync(url, follow: false)).Response.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_data_manager_gets_the_casebook_of_any_site_with_the_same_record()
    {
        var s = await ScenarioAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("datamanager");
        var download = await browser.GetAsync($"/participants/{s.ParticipantId}/casebook.pdf");
        Assert.Equal(HttpStatusCode.OK, download.Status);
        var text = Flat(Poppler.Text(await download.Response.Content.ReadAsByteArrayAsync()));
        Assert.Contains(s.RandomizationNumber, text, StringComparison.Ordinal);
        Assert.Contains("that Drew Data may see", text, StringComparison.Ordinal);
    }

    private async Task SaveAsync(Guid id, string visit, string form, Dictionary<string, string?> values, bool complete)
    {
        var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, visit, form, values, complete, null)));
        Assert.True(saved.Succeeded, $"{visit} {form}: {Describe(saved.Outcome)}");
    }

    private async Task<Guid> ReportAsync(Guid id, AdverseEventInput input)
    {
        var reported = await app.AsUserAsync("coordinator", s => s.GetRequiredService<ReportAdverseEvent>().InitialAsync(id, input));
        Assert.True(reported.Succeeded, Describe(reported.Outcome));
        return reported.Value!.Id;
    }

    /// <summary>A non-serious event, onset yesterday at the site, learned of a few minutes ago (site time).</summary>
    private AdverseEventInput Event(string term)
    {
        var aware = TimeZoneInfo.ConvertTime(app.Clock.GetUtcNow(), London).AddMinutes(-5);
        var awareDay = DateOnly.FromDateTime(aware.DateTime);
        return new AdverseEventInput
        {
            ReportedTerm = term,
            Onset = Iso(awareDay.AddDays(-1)),
            Grade = "1",
            Causality = "NotRelated",
            ActionTaken = "DoseNotChanged",
            Outcome = "Recovering",
            AwareDate = Iso(awareDay),
            AwareTime = aware.ToString("HH:mm", CultureInfo.InvariantCulture),
        };
    }

    private DateOnly LocalToday() => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(app.Clock.GetUtcNow(), London).DateTime);

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Text with every run of white space made one space: pdftotext -layout pads columns and wraps paragraphs.</summary>
    private static string Flat(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string Describe(OperationResult result) => string.Join(" | ", result.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
}
