using System.Net;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TrialManager.Domain.Safety;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>Reporting adverse events and their follow-ups through the real report page, and versions that stay as filed.</summary>
public class AdverseEventReportingTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string FormName = "report-adverse-event";

    [Fact]
    public async Task A_valid_non_serious_event_is_saved_as_version_1_under_the_participants_number()
    {
        var participant = await app.RegisterParticipantAsync();
        using var browser = await app.SignedInAsync("coordinator");
        var form = await browser.GetAsync($"/participants/{participant.Id}/adverse-events/new");
        Assert.Equal(HttpStatusCode.OK, form.Status);

        var input = app.NonSerious("LON", "Headache");
        var done = await browser.SubmitAsync(form, FormName, SafetyScenario.FormFields(input));

        var saved = await app.WithDbAsync(db => db.AdverseEvents.AsNoTracking().Include(e => e.Versions).SingleAsync(e => e.ParticipantId == participant.Id));
        Assert.Matches(@"^LON-\d{3}-AE01$", saved.Number);
        Assert.Equal($"{participant.Number}-AE01", saved.Number);
        Assert.Equal(1, saved.CurrentVersion);
        var version = Assert.Single(saved.Versions);
        Assert.Equal(1, version.Version);
        Assert.Equal("Headache", version.ReportedTerm);
        Assert.False(version.Serious);
        Assert.Equal(EventOutcome.Recovering, version.Outcome);
        Assert.Equal("Casey Coordinator", version.ReportedByName);
        Assert.Null(version.FollowUpNote);

        // The site's local awareness time (London) is stored as the instant it was.
        var aware = DateTime.Parse($"{input.AwareDate}T{input.AwareTime}", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(new DateTimeOffset(aware, SafetyScenario.London.GetUtcOffset(aware)), version.SiteAwareAt);

        Assert.Equal($"/adverse-events/{saved.Id}", done.Path);
        Assert.Contains($"Adverse event {saved.Number}", done.Text, StringComparison.Ordinal);
        Assert.Contains("Headache", done.TestId("ae-report"), StringComparison.Ordinal);
        Assert.Contains("No reporting clock", done.Text, StringComparison.Ordinal);

        // A second event of the same participant takes the next number.
        var second = await app.ReportAsync("investigator", participant.Id, app.NonSerious("LON", "Nausea"));
        Assert.Equal($"{participant.Number}-AE02", second.Number);
    }

    public static TheoryData<string, string, string> InvalidReports => new()
    {
        // case, the input beside which the message shows, a part of the message
        { "grade 5 not fatal", "ae-outcome", "Grade 5 means the event was fatal: set the outcome to Fatal." },
        { "serious without criterion", "", "A serious event needs at least one seriousness criterion." },
        { "end before onset", "ae-end", "The end date is before the onset date." },
        { "onset before consent", "ae-onset", "before the participant consented" },
        { "unreadable onset", "ae-onset", "Enter the onset date as a date such as 2026-11-21." },
        { "unreadable end", "ae-end", "Enter the end date as a date such as 2026-11-21." },
        { "local time skipped by DST", "ae-aware-time", "01:30 did not happen on 2026-03-29 at the site: the clocks went forward." },
        { "awareness in the future", "ae-aware-date", "The time the site learned of the event is in the future." },
        { "no grade", "ae-grade", "Choose a CTCAE grade from 1 to 5" },
    };

    [Theory]
    [MemberData(nameof(InvalidReports))]
    public async Task An_inconsistent_report_shows_the_message_beside_the_field_keeps_the_entry_and_saves_nothing(string @case, string inputId, string message)
    {
        var participant = await app.RegisterParticipantAsync();
        var input = app.NonSerious("LON", "Dizziness");
        var onset = DateOnly.Parse(input.Onset!, System.Globalization.CultureInfo.InvariantCulture);
        switch (@case)
        {
            case "grade 5 not fatal":
                input.Grade = "5";
                input.Serious = true;
                input.SeriousnessCriteria = ["death"];
                input.Outcome = "Recovering";
                break;
            case "serious without criterion":
                input.Grade = "3";
                input.Serious = true;
                break;
            case "end before onset":
                input.Outcome = "Recovered";
                input.End = SafetyScenario.Iso(onset.AddDays(-2));
                break;
            case "onset before consent":
                input.Onset = SafetyScenario.Iso(participant.ConsentedOn.AddDays(-1));
                break;
            case "unreadable onset":
                input.Onset = "21/11/2026";
                break;
            case "unreadable end":
                input.Outcome = "Recovered";
                input.End = "yesterday";
                break;
            case "local time skipped by DST":
                input.AwareDate = "2026-03-29";
                input.AwareTime = "01:30";
                break;
            case "awareness in the future":
                var later = app.LocalNow(SafetyScenario.London).AddHours(3);
                input.AwareDate = later.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                input.AwareTime = later.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "no grade":
                input.Grade = "";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(@case));
        }

        using var browser = await app.SignedInAsync("coordinator");
        var form = await browser.GetAsync($"/participants/{participant.Id}/adverse-events/new");
        var shown = await browser.SubmitAsync(form, FormName, SafetyScenario.FormFields(input));

        Assert.Equal(HttpStatusCode.OK, shown.Status);
        Assert.Equal($"/participants/{participant.Id}/adverse-events/new", shown.Path);
        Assert.Contains("Nothing was saved", shown.Text, StringComparison.Ordinal);
        var beside = inputId.Length == 0 ? shown.SeriousnessMessages() : shown.MessagesFor(inputId);
        Assert.True(beside.Any(m => m.Contains(message, StringComparison.Ordinal)), $"{@case}: expected '{message}' beside #{inputId}, found: {string.Join(" / ", beside)}");

        // What the person typed is still there, readable or not.
        Assert.Equal(input.ReportedTerm, shown.Shown("ae-term"));
        Assert.Equal(input.Onset, shown.Shown("ae-onset"));
        Assert.Equal(input.End ?? "", shown.Shown("ae-end") ?? "");
        Assert.Equal(input.Grade, shown.Shown("ae-grade"));
        Assert.Equal(input.Outcome, shown.Shown("ae-outcome"));
        Assert.Equal(input.Causality, shown.Shown("ae-causality"));
        Assert.Equal(input.AwareDate, shown.Shown("ae-aware-date"));
        Assert.Equal(input.AwareTime, shown.Shown("ae-aware-time"));
        Assert.Equal(input.Serious, shown.Document.GetElementById("ae-serious")!.HasAttribute("checked"));
        foreach (var criterion in input.SeriousnessCriteria)
        {
            Assert.True(shown.Document.GetElementById($"ae-criterion-{criterion}")!.HasAttribute("checked"), criterion);
        }

        Assert.Equal(0, await app.WithDbAsync(db => db.AdverseEvents.CountAsync(e => e.ParticipantId == participant.Id)));
        Assert.Equal(0, await app.WithDbAsync(db => db.AdverseEventVersions.CountAsync(v => v.ParticipantId == participant.Id)));
    }

    [Fact]
    public async Task A_local_time_repeated_by_the_autumn_change_is_taken_at_its_first_occurrence()
    {
        // London's clocks went back at 02:00 BST on 2026-10-25, so 01:30 happened twice: 00:30 UTC, then 01:30 UTC.
        var consentDaysAgo = app.LocalToday(SafetyScenario.London).DayNumber - new DateOnly(2026, 10, 1).DayNumber;
        var participant = await app.RegisterParticipantAsync("coordinator", consentDaysAgo);
        var input = app.NonSerious("LON", "Anxiety");
        input.Onset = "2026-10-24";
        input.AwareDate = "2026-10-25";
        input.AwareTime = "01:30";

        using var browser = await app.SignedInAsync("coordinator");
        var form = await browser.GetAsync($"/participants/{participant.Id}/adverse-events/new");
        var done = await browser.SubmitAsync(form, FormName, SafetyScenario.FormFields(input));
        Assert.StartsWith("/adverse-events/", done.Path, StringComparison.Ordinal);

        var version = await app.WithDbAsync(db => db.AdverseEventVersions.AsNoTracking().SingleAsync(v => v.ParticipantId == participant.Id));
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero), version.SiteAwareAt);
        Assert.Contains("2026-10-25 01:30 UTC+01:00", done.TestId("ae-report"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_follow_up_needs_a_note_and_becomes_version_2_leaving_version_1_as_filed()
    {
        var participant = await app.RegisterParticipantAsync();
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.NonSerious("LON", "Insomnia"));
        var before = await app.WithDbAsync(db => db.AdverseEventVersions.AsNoTracking().SingleAsync(v => v.AdverseEventId == adverseEvent.Id));

        using var browser = await app.SignedInAsync("investigator");
        var form = await browser.GetAsync($"/adverse-events/{adverseEvent.Id}/follow-up");
        Assert.Equal(HttpStatusCode.OK, form.Status);
        Assert.Equal("Insomnia", form.Shown("ae-term"));

        // Resolved now, but no note of what is new: refused beside the note, nothing saved.
        var yesterday = SafetyScenario.Iso(app.LocalToday(SafetyScenario.London).AddDays(-1));
        var noNote = await browser.SubmitAsync(form, FormName, ("Input.Outcome", "Recovered"), ("Input.End", yesterday), ("Input.FollowUpNote", "  "));
        Assert.Equal(HttpStatusCode.OK, noNote.Status);
        Assert.Contains("Say what is new in this follow-up.", noNote.MessagesFor("ae-follow-up"));
        Assert.Equal("Recovered", noNote.Shown("ae-outcome"));
        Assert.Equal(yesterday, noNote.Shown("ae-end"));
        Assert.Equal(1, await app.WithDbAsync(db => db.AdverseEventVersions.CountAsync(v => v.AdverseEventId == adverseEvent.Id)));

        var filed = await browser.SubmitAsync(noNote, FormName, ("Input.FollowUpNote", "Resolved without treatment."));
        Assert.Equal($"/adverse-events/{adverseEvent.Id}", filed.Path);
        var versions = await app.WithDbAsync(db => db.AdverseEventVersions.AsNoTracking().Where(v => v.AdverseEventId == adverseEvent.Id).OrderBy(v => v.Version).ToListAsync());
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal(2, await app.WithDbAsync(db => db.AdverseEvents.Where(e => e.Id == adverseEvent.Id).Select(e => e.CurrentVersion).SingleAsync()));
        Assert.Equal(EventOutcome.Recovered, versions[1].Outcome);
        Assert.Equal("Resolved without treatment.", versions[1].FollowUpNote);
        Assert.Equal("Ines Investigator", versions[1].ReportedByName);

        // Version 1 is exactly as it was filed.
        Assert.Equal(Snapshot(before), Snapshot(versions[0]));

        // The event page shows both versions, newest first, with what is new.
        var rows = filed.Document.QuerySelectorAll("[data-testid=ae-versions] tbody tr").Select(r => SafetyScenario.Normalise(r.TextContent)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.StartsWith("2 ", rows[0], StringComparison.Ordinal);
        Assert.Contains("Resolved without treatment.", rows[0], StringComparison.Ordinal);
        Assert.Contains("Initial report", rows[1], StringComparison.Ordinal);
        Assert.Contains("Recovered / resolved", filed.TestId("ae-report"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_follow_ups_filed_at_once_become_versions_2_and_3()
    {
        var participant = await app.RegisterParticipantAsync();
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.NonSerious("LON", "Anxiety"));
        var first = await app.FollowUpOfAsync(adverseEvent.Id, "Worse in the evenings.");
        var second = await app.FollowUpOfAsync(adverseEvent.Id, "Seen by the GP.");

        await Task.WhenAll(app.FollowUpAsync("coordinator", adverseEvent.Id, first), app.FollowUpAsync("investigator", adverseEvent.Id, second));

        var versions = await app.WithDbAsync(db => db.AdverseEventVersions.Where(v => v.AdverseEventId == adverseEvent.Id).OrderBy(v => v.Version).Select(v => v.Version).ToListAsync());
        Assert.Equal([1, 2, 3], versions);
        Assert.Equal(3, await app.WithDbAsync(db => db.AdverseEvents.Where(e => e.Id == adverseEvent.Id).Select(e => e.CurrentVersion).SingleAsync()));
    }

    [Fact]
    public async Task The_database_refuses_to_change_or_delete_a_filed_version()
    {
        var participant = await app.RegisterParticipantAsync();
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.NonSerious("LON", "Fatigue"));
        var before = await app.WithDbAsync(db => db.AdverseEventVersions.AsNoTracking().SingleAsync(v => v.AdverseEventId == adverseEvent.Id));

        var update = await Assert.ThrowsAsync<PostgresException>(() => app.WithDbAsync(db =>
            db.Database.ExecuteSqlAsync($"""UPDATE "AdverseEventVersions" SET "Grade" = 4, "ReportedTerm" = 'Edited' WHERE "AdverseEventId" = {adverseEvent.Id}""")));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, update.SqlState);
        Assert.Contains("cannot be changed or deleted", update.MessageText, StringComparison.Ordinal);

        var delete = await Assert.ThrowsAsync<PostgresException>(() => app.WithDbAsync(db =>
            db.Database.ExecuteSqlAsync($"""DELETE FROM "AdverseEventVersions" WHERE "AdverseEventId" = {adverseEvent.Id}""")));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, delete.SqlState);

        // Through EF too: a tracked edit of a version fails on save.
        await Assert.ThrowsAnyAsync<DbUpdateException>(() => app.WithDbAsync(async db =>
        {
            db.AuditActorOverride = TrialManager.Web.Data.Audit.AuditActor.System("test");
            var version = await db.AdverseEventVersions.SingleAsync(v => v.AdverseEventId == adverseEvent.Id);
            version.Narrative = "Quietly rewritten";
            return await db.SaveChangesAsync();
        }));

        var after = await app.WithDbAsync(db => db.AdverseEventVersions.AsNoTracking().SingleAsync(v => v.AdverseEventId == adverseEvent.Id));
        Assert.Equal(Snapshot(before), Snapshot(after));
    }

    [Fact]
    public async Task Report_pages_of_unknown_participants_and_events_are_not_found()
    {
        using var browser = await app.SignedInAsync("coordinator");
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/participants/{Guid.NewGuid()}/adverse-events/new")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/adverse-events/{Guid.NewGuid()}/follow-up")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/adverse-events/{Guid.NewGuid()}")).Status);
    }

    private static string Snapshot(TrialManager.Web.Data.AdverseEventVersion v) => string.Join('|',
        v.Id, v.Version, v.ReportedTerm, v.CodedTerm, v.Code, v.Onset, v.End, v.Grade, v.Serious, v.SeriousnessCriteria, v.Causality, v.ActionTaken,
        v.Outcome, v.SpecialInterestCode, v.Narrative, v.SiteAwareAt.ToUnixTimeMilliseconds(), v.ReceivedAt.ToUnixTimeMilliseconds(), v.ReportedByUserId, v.ReportedByName, v.FollowUpNote);
}
