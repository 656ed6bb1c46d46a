using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Benchmarks.Generation;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Sealing;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Scale;

/// <summary>
/// The scale data generator, small: a few sites filled through the real operations on the fixture's database, then
/// checked against its options and summary, the protocol's visit schedule, the randomization invariants and the
/// audit chain; and a second trial from the same seed must come out the same, site by site.
/// </summary>
public sealed class DataGeneratorTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly ScaleOptions Small = new()
    {
        Sites = 3,
        Participants = 30,
        AdverseEvents = 12,
        EligiblePool = 6,
        Workers = 2,
        Seed = 11,
        Password = "generated-accounts-" + Guid.NewGuid().ToString("N"),
        TrialCode = "GEN-FIRST",
        SitePrefix = "GA",
        EnrolmentMonths = 6,
        Now = new DateTimeOffset(2027, 3, 15, 12, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task Fills_a_trial_through_the_operations_consistently_and_the_same_way_from_the_same_seed()
    {
        var clock = new SimulatedClock();
        await using var host = app.WithWebHostBuilder(builder => builder.ConfigureServices(services => ScaleHost.UseSimulatedClock(services, clock)));
        var first = await ScaleDataGenerator.RunAsync(host.Services, Small, null, CancellationToken.None);

        Assert.Equal(Small.Sites, first.Sites);
        Assert.Equal(Small.Participants, first.Randomized);
        Assert.Equal(Small.EligiblePool, first.EligiblePool);
        Assert.Equal(Small.ScreenFailureCount, first.ScreenFailed);
        Assert.Equal(Small.AdverseEvents, first.AdverseEvents);
        var counts = await CountsAsync(first.TrialId);
        Assert.Equal(first.FormsCompleted, counts.Values.Sum(c => c.Forms));
        Assert.Equal(first.DiaryEntries, counts.Values.Sum(c => c.Diary));
        Assert.Equal(first.VisitsDone, counts.Values.Sum(c => c.Visits));
        Assert.True(first.CompletedTreatment > 0 && first.Withdrawn > 0, $"{first.CompletedTreatment} completed, {first.Withdrawn} withdrawn");
        Assert.True(first.DiaryEntries > 0 && first.KitsDispensed > Small.Participants && first.BlindingGuesses > 0 && first.AuditEntries > first.Operations);

        await AssertParticipantsMatchTheirStagesAsync(first.TrialId);
        await AssertRandomizationInvariantsAsync(first.TrialId);
        var chain = await app.Services.GetRequiredService<AuditChainVerifier>().VerifyAsync();
        Assert.True(chain.Intact, chain.Problem);

        // Another trial from the same seed (its own codes, so both live in one database) matches site by site.
        var second = await ScaleDataGenerator.RunAsync(host.Services, Small with { TrialCode = "GEN-SECOND", SitePrefix = "GB" }, null, CancellationToken.None);
        Assert.Equal(first with { TrialCode = "", TrialId = default, Operations = 0, Elapsed = default, DatabaseBytes = 0, AuditEntries = 0 },
            second with { TrialCode = "", TrialId = default, Operations = 0, Elapsed = default, DatabaseBytes = 0, AuditEntries = 0 });
        var again = await CountsAsync(second.TrialId);
        Assert.Equal(counts.OrderBy(c => c.Key).Select(c => c.Value), again.OrderBy(c => c.Key).Select(c => c.Value));
    }

    /// <summary>
    /// Pool members are eligible and unrandomized with their screening forms only; screen failures have the same forms
    /// and a failed assessment; each randomized participant has exactly the forms of the visits recorded as done (plus
    /// screening and baseline), diary answers only on dosing days up to their last visit, and nothing dated after "now".
    /// </summary>
    private async Task AssertParticipantsMatchTheirStagesAsync(Guid trialId)
    {
        var protocol = ProtocolLoader.Load(ScaleProtocol.ShippedText(), ScaleProtocol.ShippedFile).Protocol!;
        var formsAt = protocol.Visits.ToDictionary(v => v.Code, v => v.Forms.Count);
        await app.WithDbAsync(async db =>
        {
            var participants = await db.Participants.AsNoTracking().Where(p => p.TrialId == trialId).ToListAsync();
            var ids = participants.Select(p => p.Id).ToList();
            var forms = await db.FormEntries.AsNoTracking().Where(e => ids.Contains(e.ParticipantId)).ToListAsync();
            var visits = await db.VisitRecords.AsNoTracking().Where(v => ids.Contains(v.ParticipantId)).ToListAsync();
            var diary = await db.DiaryEntries.AsNoTracking().Where(d => ids.Contains(d.ParticipantId)).ToListAsync();
            var assessments = await db.EligibilityAssessments.AsNoTracking().Where(a => ids.Contains(a.ParticipantId)).ToListAsync();
            var events = await db.AdverseEventVersions.AsNoTracking().Where(v => v.TrialId == trialId).ToListAsync();
            Assert.All(forms, f => Assert.Equal(FormStatus.Complete, f.Status));
            Assert.All(forms, f => Assert.True(f.UpdatedAt < Small.Now, $"form saved at {f.UpdatedAt}"));

            foreach (var participant in participants)
            {
                var mine = forms.Where(f => f.ParticipantId == participant.Id).ToList();
                var screening = mine.Count(f => f.VisitCode == protocol.ScreeningVisit.Code);
                Assert.Equal(formsAt[protocol.ScreeningVisit.Code], screening);
                Assert.Single(assessments, a => a.ParticipantId == participant.Id);
                Assert.Equal(participant.Status != ParticipantStatus.ScreenFailed, assessments.Single(a => a.ParticipantId == participant.Id).Eligible);
                if (participant.RandomizedAt is null)
                {
                    Assert.Equal(screening, mine.Count);
                    Assert.DoesNotContain(visits, v => v.ParticipantId == participant.Id);
                    if (participant.Status == ParticipantStatus.Eligible)
                    {
                        Assert.NotNull(participant.EligibilityConfirmedAt);
                        Assert.False(string.IsNullOrEmpty(participant.StratumLevels));
                    }

                    continue;
                }

                var done = visits.Where(v => v.ParticipantId == participant.Id && v.DoneOn is not null).ToList();
                Assert.Equal(screening + formsAt[protocol.RandomizationVisit.Code] + done.Sum(v => formsAt[v.VisitCode]), mine.Count);
                Assert.Equal(formsAt.Keys.Where(k => k == protocol.ScreeningVisit.Code || k == protocol.RandomizationVisit.Code || done.Any(v => v.VisitCode == k)).Order(), mine.Select(f => f.VisitCode).Distinct().Order());
                var randomizedOn = DateOnly.FromDateTime(participant.RandomizedAt.Value.UtcDateTime);
                var lastDay = done.Count == 0 ? 0 : done.Max(v => v.DoneOn!.Value.DayNumber) - randomizedOn.DayNumber;
                Assert.All(diary.Where(d => d.ParticipantId == participant.Id), d =>
                {
                    Assert.True(protocol.Dosing.IsDosingDay(d.StudyDay), $"{participant.Number}: diary on day {d.StudyDay}");
                    Assert.True(d.StudyDay <= lastDay, $"{participant.Number}: diary on day {d.StudyDay} after the last visit");
                });
                Assert.All(events.Where(e => e.ParticipantId == participant.Id), e => Assert.True(e.Onset > participant.ConsentedOn && e.Onset.DayNumber >= randomizedOn.DayNumber, $"{participant.Number}: onset {e.Onset}"));
            }

            Assert.Equal(Small.Participants, participants.Count(p => p.RandomizedAt is not null));
            Assert.Equal(Small.EligiblePool, participants.Count(p => p.Status == ParticipantStatus.Eligible && p.RandomizedAt is null));
            return true;
        });
    }

    /// <summary>
    /// Each randomized participant has one randomization dispensing and one slot; slots are used in order in every
    /// stratum; every kit a participant holds has their slot's arm; randomization numbers are unique; the list still
    /// matches its commitment.
    /// </summary>
    private async Task AssertRandomizationInvariantsAsync(Guid trialId)
    {
        var sealer = app.Services.GetRequiredService<Sealer>();
        var (participants, slots, kits, dispensings) = await app.WithDbAsync(async db => (
            await db.Participants.AsNoTracking().Where(p => p.TrialId == trialId && p.RandomizedAt != null).ToListAsync(),
            await db.RandomizationSlots.AsNoTracking().Where(s => s.TrialId == trialId && s.ParticipantId != null).ToListAsync(),
            await db.Kits.AsNoTracking().Where(k => k.TrialId == trialId && k.ParticipantId != null).ToListAsync(),
            await db.Dispensings.AsNoTracking().Where(d => d.TrialId == trialId).ToListAsync()));
        foreach (var participant in participants)
        {
            Assert.Single(dispensings, d => d.ParticipantId == participant.Id && d.Kind == DispensingKind.Randomization);
            var slot = Assert.Single(slots, s => s.ParticipantId == participant.Id);
            var arm = await sealer.OpenArmAsync(trialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm);
            foreach (var kit in kits.Where(k => k.ParticipantId == participant.Id))
            {
                Assert.Equal(arm, await sealer.OpenArmAsync(trialId, GenerateRandomizationList.KitArm, kit.Id, kit.SealedArm));
            }
        }

        Assert.Equal(participants.Count, slots.Count);
        Assert.All(slots.GroupBy(s => s.StratumKey), stratum => Assert.Equal(Enumerable.Range(1, stratum.Count()), stratum.Select(s => s.Number).Order()));
        Assert.Equal(participants.Count, participants.Select(p => p.RandomizationNumber).Distinct().Count());
        Assert.Equal(dispensings.Count, kits.Count);
        Assert.True((await app.Services.GetRequiredService<ListVerifier>().VerifyAsync(trialId)).Verified);
    }

    /// <summary>What each site ended with, by site number (the codes differ between trials).</summary>
    private async Task<Dictionary<string, SiteCounts>> CountsAsync(Guid trialId) => await app.WithDbAsync(async db =>
    {
        var sites = await db.Sites.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Code[^2..]);
        var participants = await db.Participants.AsNoTracking().Where(p => p.TrialId == trialId).Select(p => new { p.Id, p.SiteId, p.Status, Randomized = p.RandomizedAt != null }).ToListAsync();
        var ids = participants.Select(p => p.Id).ToList();
        var forms = await db.FormEntries.AsNoTracking().Where(e => e.TrialId == trialId && e.Status == FormStatus.Complete).GroupBy(e => e.SiteId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        var diary = await db.DiaryEntries.AsNoTracking().Where(d => ids.Contains(d.ParticipantId)).GroupBy(d => d.SiteId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        var visits = await db.VisitRecords.AsNoTracking().Where(v => ids.Contains(v.ParticipantId) && v.DoneOn != null).GroupBy(v => v.SiteId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        var events = await db.AdverseEvents.AsNoTracking().Where(e => e.TrialId == trialId).GroupBy(e => e.SiteId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        return participants.Select(p => p.SiteId).Distinct().ToDictionary(id => sites[id], id => new SiteCounts(
            participants.Count(p => p.SiteId == id && p.Randomized),
            participants.Count(p => p.SiteId == id && p.Status == ParticipantStatus.Withdrawn),
            forms.SingleOrDefault(f => f.Key == id)?.Count ?? 0,
            diary.SingleOrDefault(d => d.Key == id)?.Count ?? 0,
            visits.SingleOrDefault(v => v.Key == id)?.Count ?? 0,
            events.SingleOrDefault(e => e.Key == id)?.Count ?? 0));
    });

    private sealed record SiteCounts(int Randomized, int Withdrawn, int Forms, int Diary, int Visits, int AdverseEvents);
}
