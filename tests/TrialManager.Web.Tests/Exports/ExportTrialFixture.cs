using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Participants;
using TrialManager.Web.Features.Exports;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Exports;

/// <summary>
/// A trial with data of every kind an export writes, entered through the real operations by the people who would enter
/// it, for tests that read it back out (CSV, ODM). At London and Boston six participants each are randomized by their
/// site's coordinator and one more stays eligible; the randomization visit's three forms are entered for everyone (one
/// form left a draft, one optional field left empty, free texts that start with formula characters, carry commas,
/// quotes, line breaks and non-Latin letters), visits are recorded in and out of window and one as missed, week 1 forms,
/// diary days, a week 3 kit return with its pill count and adherence form, a second kit, adverse events (one serious, with
/// a follow-up version), an investigator's visit signature, a drug discontinuation and a withdrawal. The protocol's forms
/// have integer, decimal, text, date, single choice and yes/no fields and summed scores; it has no multiple choice field.
/// </summary>
public sealed class ExportTrialFixture : IAsyncLifetime
{
    public const string TrialCode = "EXPORT-01";
    public const int PerSite = 6;

    /// <summary>A murmur description a spreadsheet would run as a formula, with a comma, quotes and a line break besides.</summary>
    public const string FormulaText = "=HYPERLINK(\"http://example.org\",\"soft\"), grade 2/6\nheard at the apex";

    /// <summary>A missed-dose reason starting with a minus sign (a formula character too).</summary>
    public const string MinusText = "-forgot on holiday, \"twice\"";

    /// <summary>A stored text that itself starts with an apostrophe and a formula character: its escape must stay undoable.</summary>
    public const string ApostropheText = "'=kept as typed";

    /// <summary>Text outside Latin-1, to prove the files are UTF-8.</summary>
    public const string UnicodeText = "Überwiegend leise, café-au-lait «1/6»; 東京 follow-up";

    public TrialApp App { get; } = new();

    public RandomizationTrial Trial { get; private set; } = default!;

    /// <summary>Randomized at London, in order of registration.</summary>
    public List<Guid> London { get; } = [];

    /// <summary>Randomized at Boston, in order of registration.</summary>
    public List<Guid> Boston { get; } = [];

    /// <summary>Eligible but never randomized, one per site.</summary>
    public List<Guid> Waiting { get; } = [];

    public IReadOnlyList<Guid> Randomized => [.. London, .. Boston];

    public IReadOnlyList<Guid> Participants => [.. London, .. Boston, .. Waiting];

    /// <summary>The kit each randomized participant got at randomization.</summary>
    public Dictionary<Guid, string> FirstKits { get; } = [];

    /// <summary>The serious adverse event, which has an initial report and a follow-up.</summary>
    public Guid SeriousEventId { get; private set; }

    public async Task InitializeAsync()
    {
        await App.InitializeAsync();
        Trial = await RandomizationTrial.CreateAsync(App, TrialCode, kitsPerSite: 20, slotsPerStratum: 60);

        foreach (var (site, coordinator, ids) in new[] { ("LON", "coordinator", London), ("BOS", "coordinator.bos", Boston) })
        {
            var registered = await Trial.AddEligibleParticipantsAsync(App, site, PerSite + 1);
            ids.AddRange(registered.Take(PerSite));
            Waiting.Add(registered[^1]);
            foreach (var id in ids)
            {
                var assignment = await App.AsUserAsync(coordinator, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
                Assert.True(assignment.Succeeded, SafetyScenario.Describe(assignment.Outcome));
                FirstKits[id] = assignment.Value!.KitCode;
            }
        }

        var randomizedOn = await RandomizedOnAsync();
        await BaselineAsync(randomizedOn);

        var signed = await App.AsUserAsync("investigator", s => s.GetRequiredService<SignVisit>().ExecuteAsync(London[0], "D0", "Reviewed and approved", App.Account("investigator").Password));
        Assert.True(signed.Succeeded, SafetyScenario.Describe(signed));

        App.Clock.Advance(TimeSpan.FromDays(8));
        await WeekOneAsync(randomizedOn);

        App.Clock.Advance(TimeSpan.FromDays(14));
        await WeekThreeAsync(randomizedOn);
        await AdverseEventsAsync();

        var discontinued = await App.AsUserAsync("coordinator", s => s.GetRequiredService<EndParticipation>().ExecuteAsync(London[5], EndKind.DiscontinueDrug, "Persistent nausea"));
        Assert.True(discontinued.Succeeded, SafetyScenario.Describe(discontinued));
        var withdrawn = await App.AsUserAsync("coordinator.bos", s => s.GetRequiredService<EndParticipation>().ExecuteAsync(Boston[5], EndKind.Withdraw, "Moved abroad, \"no\" follow-up possible"));
        Assert.True(withdrawn.Succeeded, SafetyScenario.Describe(withdrawn));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    /// <summary>A snapshot of the trial as <paramref name="local"/> would have it exported (the reader checks no access: the caller decides).</summary>
    public async Task<ExportSnapshot> ReadSnapshotAsync(ExportScope scope, string local = "datamanager")
    {
        var email = App.Account(local).Email;
        var name = await App.WithDbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.DisplayName).SingleAsync());
        return await App.AsUserAsync(local, s => s.GetRequiredService<ExportReader>().ReadAsync(Trial.TrialId, scope, name));
    }

    public static string CoordinatorOf(string siteCode) => siteCode == "BOS" ? "coordinator.bos" : "coordinator";

    private async Task<Dictionary<Guid, DateOnly>> RandomizedOnAsync()
    {
        var rows = await App.WithDbAsync(db => db.Participants.AsNoTracking().Where(p => p.TrialId == Trial.TrialId && p.RandomizedAt != null)
            .Join(db.Sites, p => p.SiteId, s => s.Id, (p, s) => new { p.Id, At = p.RandomizedAt!.Value, s.TimeZone }).ToListAsync());
        return rows.ToDictionary(r => r.Id, r => SiteCalendar.LocalDate(r.At, TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone)));
    }

    /// <summary>Day 0: every randomized participant's three baseline forms and the visit date.</summary>
    private async Task BaselineAsync(Dictionary<Guid, DateOnly> randomizedOn)
    {
        foreach (var (site, ids) in new[] { ("LON", London), ("BOS", Boston) })
        {
            var coordinator = CoordinatorOf(site);
            for (var i = 0; i < ids.Count; i++)
            {
                var id = ids[i];
                await SaveAsync(coordinator, id, "D0", "DEP9", Enumerable.Range(1, 9).ToDictionary(k => $"d{k}", k => (string?)Invariant((i + k) % 4)), complete: true);

                // London's second participant leaves the anxiety scale half done: a draft without a score.
                var anxiety = site == "LON" && i == 1
                    ? new Dictionary<string, string?> { ["a1"] = "1", ["a2"] = "3" }
                    : Enumerable.Range(1, 7).ToDictionary(k => $"a{k}", k => (string?)Invariant((i * k) % 4));
                await SaveAsync(coordinator, id, "D0", "ANX7", anxiety, complete: anxiety.Count == 7);

                var vitals = new Dictionary<string, string?>
                {
                    ["systolic"] = Invariant(112 + i),
                    ["diastolic"] = Invariant(70 + i),
                    ["heart_rate"] = Invariant(61 + i),
                    ["temperature"] = i == 3 ? "36.60" : $"36.{i}", // 36.60 is kept as typed, trailing zero and all
                    ["weight"] = i == 2 ? null : $"7{i}.5", // the third participant's weight, optional, left empty
                    ["new_murmur"] = i == 0 ? "yes" : "no",
                    ["murmur_notes"] = i == 0 ? (site == "LON" ? FormulaText : UnicodeText) : null,
                };
                await SaveAsync(coordinator, id, "D0", "VITALS", vitals, complete: true);
                await VisitAsync(coordinator, id, "D0", randomizedOn[id]);
            }
        }
    }

    /// <summary>Day 8: week 1 visits (four on time, one missed), their forms for three, and diary days.</summary>
    private async Task WeekOneAsync(Dictionary<Guid, DateOnly> randomizedOn)
    {
        foreach (var (site, ids) in new[] { ("LON", London), ("BOS", Boston) })
        {
            var coordinator = CoordinatorOf(site);
            for (var i = 0; i < 5; i++)
            {
                var id = ids[i];
                if (i == 4)
                {
                    var missed = await App.AsUserAsync(coordinator, s => s.GetRequiredService<RecordVisit>().ExecuteAsync(id, "W1", null, missed: true));
                    Assert.True(missed.Succeeded, SafetyScenario.Describe(missed));
                    continue;
                }

                await VisitAsync(coordinator, id, "W1", randomizedOn[id].AddDays(7));
                if (i < 3)
                {
                    await SaveAsync(coordinator, id, "W1", "DEP9", Enumerable.Range(1, 9).ToDictionary(k => $"d{k}", k => (string?)Invariant((i + k + 1) % 4)), complete: true);
                    await SaveAsync(coordinator, id, "W1", "VITALS", new() { ["systolic"] = "118", ["diastolic"] = "76", ["heart_rate"] = "64", ["new_murmur"] = "no" }, complete: true);
                    foreach (var (day, took) in new[] { ("1", true), ("4", i != 1), ("7", true) })
                    {
                        var diary = await App.AsUserAsync(coordinator, s => s.GetRequiredService<RecordDiary>().ExecuteAsync(id, day, took));
                        Assert.True(diary.Succeeded, SafetyScenario.Describe(diary));
                    }
                }
            }
        }
    }

    /// <summary>Day 22: week 3 visits (one early, out of its window), the first kit back with a pill count, a second kit, the adherence form.</summary>
    private async Task WeekThreeAsync(Dictionary<Guid, DateOnly> randomizedOn)
    {
        foreach (var (site, ids) in new[] { ("LON", London), ("BOS", Boston) })
        {
            var coordinator = CoordinatorOf(site);
            for (var i = 0; i < 3; i++)
            {
                var id = ids[i];
                var visitDay = randomizedOn[id].AddDays(i == 2 ? 17 : 21);
                await VisitAsync(coordinator, id, "W3", visitDay);
                if (i == 2)
                {
                    continue;
                }

                var returned = await App.AsUserAsync(coordinator, s => s.GetRequiredService<ReturnKit>().ExecuteAsync(id, FirstKits[id], Invariant(3 + i)));
                Assert.True(returned.Succeeded, SafetyScenario.Describe(returned));
                var dispensed = await App.AsUserAsync(coordinator, s => s.GetRequiredService<DispenseKit>().AtVisitAsync(id, "W3"));
                Assert.True(dispensed.Succeeded, SafetyScenario.Describe(dispensed.Outcome));

                var missedDoses = site == "LON";
                await SaveAsync(coordinator, id, "W3", "ADHERENCE", new()
                {
                    ["kit_code"] = FirstKits[id],
                    ["capsules_returned"] = Invariant(3 + i),
                    ["last_dose_date"] = site == "BOS" && i == 1 ? null : SafetyScenario.Iso(visitDay.AddDays(-2)),
                    ["return_date"] = SafetyScenario.Iso(visitDay),
                    ["doses_missed"] = missedDoses ? "yes" : "no",
                    ["missed_reason"] = missedDoses ? (i == 0 ? MinusText : ApostropheText) : null,
                }, complete: true);
            }
        }
    }

    private async Task AdverseEventsAsync()
    {
        await App.ReportAsync("coordinator", London[0], App.NonSerious("LON", "Headache"));
        await App.ReportAsync("coordinator.bos", Boston[0], App.NonSerious("BOS", "Insomnia, early waking"));
        var serious = await App.ReportAsync("investigator.bos", Boston[1], App.Serious("BOS", "Seizure"));
        SeriousEventId = serious.Id;
        App.Clock.Advance(TimeSpan.FromHours(2));
        var followUp = await App.FollowUpOfAsync(serious.Id, "Discharged the next day; dose resumed.");
        followUp.Outcome = "Recovered";
        followUp.End = SafetyScenario.Iso(App.LocalToday(SafetyScenario.NewYork));
        await App.FollowUpAsync("investigator.bos", serious.Id, followUp);
    }

    private async Task SaveAsync(string local, Guid id, string visit, string form, Dictionary<string, string?> values, bool complete)
    {
        var saved = await App.AsUserAsync(local, s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, visit, form, values, complete, null)));
        Assert.True(saved.Succeeded, $"{visit} {form}: {SafetyScenario.Describe(saved.Outcome)}");
    }

    private async Task VisitAsync(string local, Guid id, string visit, DateOnly on)
    {
        var recorded = await App.AsUserAsync(local, s => s.GetRequiredService<RecordVisit>().ExecuteAsync(id, visit, SafetyScenario.Iso(on), missed: false));
        Assert.True(recorded.Succeeded, $"{visit}: {SafetyScenario.Describe(recorded)}");
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
