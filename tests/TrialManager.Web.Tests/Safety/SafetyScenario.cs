using System.Globalization;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>
/// Small helpers the safety tests share: participants registered through the real operation, adverse event inputs
/// as a site would type them (local to the site, on the app's fake clock), and the operations run as demo users.
/// </summary>
internal static class SafetyScenario
{
    public const string DemoTrial = "PSI-MDD-01";

    public static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    public static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    public static TimeZoneInfo ZoneOf(string siteCode) => siteCode == "BOS" ? NewYork : London;

    public static string SiteOf(string local) => local == "coordinator.bos" ? "BOS" : "LON";

    public static DateTimeOffset LocalNow(this TrialApp app, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(app.Clock.GetUtcNow(), zone);

    public static DateOnly LocalToday(this TrialApp app, TimeZoneInfo zone) => DateOnly.FromDateTime(app.LocalNow(zone).DateTime);

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Moves the fake clock forward to a local time at a site (never backward: sessions and codes rely on that).</summary>
    public static DateTimeOffset MoveClockTo(this TrialApp app, DateOnly date, TimeOnly time, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        var target = new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
        var by = target - app.Clock.GetUtcNow();
        Assert.True(by > TimeSpan.Zero, $"The clock cannot go back to {target:O}");
        app.Clock.Advance(by);
        return target;
    }

    /// <summary>The first instant of a local date at a site (midnight there), found without the app's code.</summary>
    public static DateTimeOffset StartOfLocalDay(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>
    /// Whether a text shows a calendar-day deadline falling at the start of <paramref name="dueDay"/> at the site, in
    /// site time: as "end of" the day before, or as midnight of the day itself.
    /// </summary>
    public static bool ShowsLocalDeadline(string text, DateOnly dueDay) =>
        text.Contains($"end of {Iso(dueDay.AddDays(-1))}", StringComparison.Ordinal) || text.Contains($"{Iso(dueDay)} 00:00", StringComparison.Ordinal);

    /// <summary>As <see cref="ShowsLocalDeadline"/>, with the UTC time of the deadline beside it.</summary>
    public static void AssertShowsDeadline(string text, DateOnly dueDay, TimeZoneInfo zone)
    {
        var utc = StartOfLocalDay(dueDay, zone).UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        Assert.True(ShowsLocalDeadline(text, dueDay) && text.Contains(utc, StringComparison.Ordinal), $"Expected the deadline at the start of {Iso(dueDay)} ({utc}) in: {text}");
    }

    /// <summary>Registers a participant of the demo trial through the real operation, consenting some days before the site's today.</summary>
    public static async Task<(Guid Id, string Number, DateOnly ConsentedOn)> RegisterParticipantAsync(this TrialApp app, string local = "coordinator", int consentDaysAgo = 30)
    {
        var site = SiteOf(local);
        var trialId = await app.WithDbAsync(db => db.Trials.Where(t => t.Code == DemoTrial).Select(t => t.Id).SingleAsync());
        var siteId = await app.SiteIdAsync(site);
        var consent = app.LocalToday(ZoneOf(site)).AddDays(-consentDaysAgo);
        var registered = await app.AsUserAsync(local, s => s.GetRequiredService<RegisterParticipant>().ExecuteAsync(new RegisterParticipantInput
        {
            TrialId = trialId.ToString(),
            SiteId = siteId.ToString(),
            YearOfBirth = "1984",
            Sex = "female",
            ConsentedOn = Iso(consent),
            ConsentFormVersion = "2.0",
        }));
        Assert.True(registered.Succeeded, Describe(registered.Outcome));
        return (registered.Value!.Id, registered.Value.Number, consent);
    }

    /// <summary>A consistent non-serious event: onset yesterday at the site, ongoing, learned of a few minutes ago.</summary>
    public static AdverseEventInput NonSerious(this TrialApp app, string siteCode, string term = "Headache")
    {
        var aware = app.LocalNow(ZoneOf(siteCode)).AddMinutes(-5);
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

    /// <summary>A serious, related, unexpected event (hospitalisation for a seizure): a SUSAR once the sponsor agrees.</summary>
    public static AdverseEventInput Serious(this TrialApp app, string siteCode, string term = "Seizure")
    {
        var input = app.NonSerious(siteCode, term);
        input.Grade = "3";
        input.Serious = true;
        input.SeriousnessCriteria = ["hospitalization"];
        input.Causality = "Related";
        input.ActionTaken = "DrugInterrupted";
        input.Narrative = "Admitted overnight for observation.";
        return input;
    }

    /// <summary>The next version of the event as the site would file it: the current one, learned of now, with a note.</summary>
    public static async Task<AdverseEventInput> FollowUpOfAsync(this TrialApp app, Guid eventId, string note)
    {
        var (version, zoneId) = await app.WithDbAsync(async db =>
        {
            var e = await db.AdverseEvents.AsNoTracking().SingleAsync(x => x.Id == eventId);
            var v = await db.AdverseEventVersions.AsNoTracking().SingleAsync(x => x.AdverseEventId == eventId && x.Version == e.CurrentVersion);
            return (v, await db.Sites.Where(s => s.Id == e.SiteId).Select(s => s.TimeZone).SingleAsync());
        });
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var input = AdverseEventInput.From(version, zone);
        var now = app.LocalNow(zone);
        input.AwareDate = now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        input.AwareTime = now.ToString("HH:mm", CultureInfo.InvariantCulture);
        input.FollowUpNote = note;
        return input;
    }

    public static async Task<AdverseEvent> ReportAsync(this TrialApp app, string local, Guid participantId, AdverseEventInput input)
    {
        var result = await app.AsUserAsync(local, s => s.GetRequiredService<ReportAdverseEvent>().InitialAsync(participantId, input));
        Assert.True(result.Succeeded, Describe(result.Outcome));
        return result.Value!;
    }

    public static async Task<AdverseEvent> FollowUpAsync(this TrialApp app, string local, Guid eventId, AdverseEventInput input)
    {
        var result = await app.AsUserAsync(local, s => s.GetRequiredService<ReportAdverseEvent>().FollowUpAsync(eventId, input));
        Assert.True(result.Succeeded, Describe(result.Outcome));
        return result.Value!;
    }

    public static async Task<bool> AssessAsync(this TrialApp app, Guid eventId, string causality, bool expected)
    {
        var result = await app.AsUserAsync("safety", s => s.GetRequiredService<AssessAdverseEvent>().ExecuteAsync(eventId, new AssessmentInput
        {
            SponsorCausality = causality,
            Expected = expected ? "yes" : "no",
            Rationale = "Temporal association; not in the reference safety information.",
        }));
        Assert.True(result.Succeeded, Describe(result.Outcome));
        return result.Value;
    }

    public static async Task RecordExpeditedAsync(this TrialApp app, Guid eventId, string reference)
    {
        var result = await app.AsUserAsync("safety", s => s.GetRequiredService<RecordExpeditedReport>().ExecuteAsync(eventId, new ExpeditedReportInput
        {
            SubmittedAt = app.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture),
            Reference = reference,
        }));
        Assert.True(result.Succeeded, Describe(result));
    }

    /// <summary>The form fields the report page posts for an input (what a person would type and tick).</summary>
    public static List<KeyValuePair<string, string>> FormFields(AdverseEventInput input)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("Input.ReportedTerm", input.ReportedTerm ?? ""),
            new("Input.CodedTerm", input.CodedTerm ?? ""),
            new("Input.Code", input.Code ?? ""),
            new("Input.Onset", input.Onset ?? ""),
            new("Input.End", input.End ?? ""),
            new("Input.Grade", input.Grade ?? ""),
            new("Input.Causality", input.Causality ?? ""),
            new("Input.ActionTaken", input.ActionTaken ?? ""),
            new("Input.Outcome", input.Outcome ?? ""),
            new("Input.SpecialInterestCode", input.SpecialInterestCode ?? ""),
            new("Input.AwareDate", input.AwareDate ?? ""),
            new("Input.AwareTime", input.AwareTime ?? ""),
            new("Input.Narrative", input.Narrative ?? ""),
        };
        if (input.Serious)
        {
            fields.Add(new("Input.Serious", "true"));
        }

        fields.AddRange(input.SeriousnessCriteria.Select(c => new KeyValuePair<string, string>("Input.SeriousnessCriteria", c)));
        if (input.FollowUpNote is not null)
        {
            fields.Add(new("Input.FollowUpNote", input.FollowUpNote));
        }

        return fields;
    }

    /// <summary>What an input or select shows (its value, or its selected option's).</summary>
    public static string? Shown(this Page page, string id) => page.Document.GetElementById(id) switch
    {
        IHtmlInputElement input => input.Value,
        IHtmlSelectElement select => select.SelectedOptions.Length == 0 ? null : select.SelectedOptions[0].Value,
        IHtmlTextAreaElement area => area.Value,
        _ => throw new InvalidOperationException($"No input #{id} on {page.Path}"),
    };

    /// <summary>Messages shown in the seriousness block (the criteria's own message sits under the fieldset).</summary>
    public static IReadOnlyList<string> SeriousnessMessages(this Page page)
    {
        var fieldset = page.Document.GetElementById("ae-serious")?.Closest("fieldset") ?? throw new InvalidOperationException("No seriousness block");
        return [.. fieldset.QuerySelectorAll(".validation-message").Select(e => e.TextContent.Trim())];
    }

    public static string TestId(this Page page, string id) =>
        page.Document.QuerySelector($"[data-testid={id}]")?.TextContent ?? throw new InvalidOperationException($"No [data-testid={id}] on {page.Path}");

    /// <summary>The text of the table rows of a block that mention a given text (e.g. an event number).</summary>
    public static IReadOnlyList<string> RowsMentioning(this Page page, string testId, string text) =>
        [.. page.Document.QuerySelectorAll($"[data-testid={testId}] tbody tr").Select(r => Normalise(r.TextContent)).Where(t => t.Contains(text, StringComparison.Ordinal))];

    public static string Normalise(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    public static string Describe(OperationResult result) => string.Join(" | ", result.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
}
