using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Sealing;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Randomization;

public class RandomizationTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static int _trials;

    private Task<RandomizationTrial> NewTrialAsync(int kitsPerSite = 20, int slotsPerStratum = 60) =>
        RandomizationTrial.CreateAsync(app, $"RND-{Interlocked.Increment(ref _trials):00}", kitsPerSite, slotsPerStratum);

    private Task<OperationResult<RandomizeParticipant.Assignment>> RandomizeAsync(string local, Guid participantId) =>
        app.AsUserAsync(local, services => services.GetRequiredService<RandomizeParticipant>().ExecuteAsync(participantId));

    private async Task<string> OpenArmAsync(Guid trialId, string purpose, Guid rowId, byte[] sealedValue)
    {
        var sealer = app.Services.GetRequiredService<Sealer>();
        return await sealer.OpenArmAsync(trialId, purpose, rowId, sealedValue);
    }

    [Fact]
    public async Task A_participant_gets_the_next_slot_of_their_stratum_and_a_kit_of_the_same_arm()
    {
        var trial = await NewTrialAsync();
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 6);

        foreach (var id in ids)
        {
            var result = await RandomizeAsync("coordinator", id);
            Assert.True(result.Succeeded, string.Join(" ", result.Outcome.Errors.SelectMany(e => e.Value)));
        }

        var slots = await app.WithDbAsync(db => db.RandomizationSlots.Where(s => s.TrialId == trial.TrialId && s.ParticipantId != null).ToListAsync());
        Assert.Equal(6, slots.Count);
        // Two strata (alternating levels), three participants each: slots 1, 2, 3 of each, in order.
        Assert.All(slots.GroupBy(s => s.StratumKey), g => Assert.Equal([1, 2, 3], g.Select(s => s.Number).Order()));
        foreach (var slot in slots)
        {
            var kit = await app.WithDbAsync(db => db.Kits.SingleAsync(k => k.ParticipantId == slot.ParticipantId));
            Assert.Equal(KitState.Dispensed, kit.State);
            Assert.Equal(
                await OpenArmAsync(trial.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm),
                await OpenArmAsync(trial.TrialId, GenerateRandomizationList.KitArm, kit.Id, kit.SealedArm));
        }

        var numbers = await app.WithDbAsync(db => db.Participants.Where(p => ids.Contains(p.Id)).Select(p => p.RandomizationNumber!).ToListAsync());
        Assert.Equal(["R0001", "R0002", "R0003", "R0004", "R0005", "R0006"], numbers.Order());
    }

    [Fact]
    public async Task Randomizing_twice_returns_the_first_assignment()
    {
        var trial = await NewTrialAsync();
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();

        var first = await RandomizeAsync("coordinator", id);
        var second = await RandomizeAsync("coordinator", id);

        Assert.False(first.Value!.AlreadyRandomized);
        Assert.True(second.Value!.AlreadyRandomized);
        Assert.Equal(first.Value.RandomizationNumber, second.Value.RandomizationNumber);
        Assert.Equal(first.Value.KitCode, second.Value.KitCode);
        Assert.Equal(1, await app.WithDbAsync(db => db.RandomizationSlots.CountAsync(s => s.ParticipantId == id)));
        Assert.Equal(1, await app.WithDbAsync(db => db.Dispensings.CountAsync(d => d.ParticipantId == id)));
    }

    [Fact]
    public async Task Concurrent_double_submits_for_one_participant_give_one_assignment()
    {
        var trial = await NewTrialAsync();
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RandomizeAsync("coordinator", id)));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Single(results.Select(r => r.Value!.RandomizationNumber).Distinct());
        Assert.Single(results, r => !r.Value!.AlreadyRandomized);
        Assert.Equal(1, await app.WithDbAsync(db => db.Kits.CountAsync(k => k.ParticipantId == id)));
    }

    [Fact]
    public async Task Only_site_coordinators_of_the_participants_own_site_may_randomize()
    {
        var trial = await NewTrialAsync();
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();

        await Assert.ThrowsAsync<OperationForbiddenException>(() => RandomizeAsync("coordinator.bos", id));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => RandomizeAsync("investigator", id));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => RandomizeAsync("datamanager", id));
        await app.EnrolAuthenticatorAsync("admin");
        await Assert.ThrowsAsync<OperationForbiddenException>(() => RandomizeAsync("admin", id));
        Assert.Equal(ParticipantStatus.Eligible, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.Status).SingleAsync()));
    }

    [Theory]
    [InlineData("no consent")]
    [InlineData("no eligibility")]
    [InlineData("screen failure")]
    [InlineData("no stratum levels")]
    public async Task A_participant_not_ready_is_refused_with_a_reason_and_nothing_is_recorded(string problem)
    {
        var trial = await NewTrialAsync();
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        await app.WithDbAsync(async db =>
        {
            var p = await db.Participants.SingleAsync(x => x.Id == id);
            switch (problem)
            {
                case "no consent": p.ConsentedOn = null; break;
                case "no eligibility": p.EligibilityConfirmedAt = null; p.Status = ParticipantStatus.Registered; break;
                case "screen failure": p.Status = ParticipantStatus.ScreenFailed; break;
                default: p.StratumLevels = ""; break;
            }

            db.AuditReason = "test setup";
            return await db.SaveChangesAsync();
        });

        var result = await RandomizeAsync("coordinator", id);

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Outcome.Errors[""]);
        Assert.Equal(0, await app.WithDbAsync(db => db.RandomizationSlots.CountAsync(s => s.ParticipantId == id)));
    }

    [Fact]
    public async Task When_no_kit_of_the_allocated_arm_is_left_the_message_is_the_same_for_either_arm_and_staff_are_alerted()
    {
        // Take every kit of one arm out of stock at LON, then randomize until both outcomes have been seen.
        var trial = await NewTrialAsync(kitsPerSite: 20);
        var lon = await app.SiteIdAsync("LON");
        var messages = new Dictionary<string, string>();
        foreach (var withheld in new[] { RandomizationTrial.ActiveCode, RandomizationTrial.ControlCode })
        {
            var kits = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).ToListAsync());
            await app.WithDbAsync(async db =>
            {
                foreach (var kit in kits)
                {
                    var arm = await OpenArmAsync(trial.TrialId, GenerateRandomizationList.KitArm, kit.Id, kit.SealedArm);
                    var tracked = await db.Kits.SingleAsync(k => k.Id == kit.Id);
                    tracked.State = arm == withheld ? KitState.Quarantined : KitState.AtSite;
                }

                db.AuditReason = "test: withhold one arm";
                return await db.SaveChangesAsync();
            });

            for (var i = 0; i < 12 && !messages.ContainsKey(withheld); i++)
            {
                var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1, _ => "baseline_severity=moderate")).Single();
                var result = await RandomizeAsync("coordinator", id);
                if (!result.Succeeded)
                {
                    messages[withheld] = result.Outcome.Errors[""].Single();
                    Assert.Equal(ParticipantStatus.Eligible, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.Status).SingleAsync()));
                    Assert.Equal(0, await app.WithDbAsync(db => db.RandomizationSlots.CountAsync(s => s.ParticipantId == id)));
                }
            }

            // Release the quarantined kits again for the next round.
            await app.WithDbAsync(async db =>
            {
                foreach (var kit in await db.Kits.Where(k => k.TrialId == trial.TrialId && k.State == KitState.Quarantined).ToListAsync())
                {
                    kit.State = KitState.AtSite;
                }

                db.AuditReason = "test: release";
                return await db.SaveChangesAsync();
            });
        }

        Assert.Equal(2, messages.Count);
        Assert.Equal(messages[RandomizationTrial.ActiveCode], messages[RandomizationTrial.ControlCode]);
        Assert.Equal(KitStock.UnavailableMessage, messages[RandomizationTrial.ActiveCode]);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, messages[RandomizationTrial.ActiveCode], StringComparison.Ordinal);
        }

        var alerted = await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject.StartsWith("Randomization blocked")).Join(db.Users, n => n.UserId, u => u.Id, (n, u) => u.Email!).Distinct().ToListAsync());
        Assert.Contains(app.Account("datamanager").Email, alerted);
        Assert.Contains(app.Account("safety").Email, alerted);
        Assert.DoesNotContain(app.Account("coordinator").Email, alerted);
    }

    [Fact]
    public async Task When_a_stratum_runs_out_of_slots_the_message_is_the_same_as_for_a_missing_kit()
    {
        var trial = await NewTrialAsync(kitsPerSite: 20, slotsPerStratum: 6);
        var ids = await trial.AddEligibleParticipantsAsync(app, "BOS", 7, _ => "baseline_severity=moderately_severe");
        OperationResult<RandomizeParticipant.Assignment>? last = null;
        foreach (var id in ids)
        {
            last = await RandomizeAsync("coordinator.bos", id);
        }

        Assert.False(last!.Succeeded);
        Assert.Equal(KitStock.UnavailableMessage, last.Outcome.Errors[""].Single());
    }

    [Fact]
    public async Task Visit_dispensing_and_replacement_give_kits_of_the_participants_arm()
    {
        var trial = await NewTrialAsync(kitsPerSite: 30);
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var assignment = (await RandomizeAsync("coordinator", id)).Value!;
        var dispensingVisit = trial.Protocol.Visits.First(v => v.DispensesKit && v != trial.Protocol.RandomizationVisit).Code;

        var atVisit = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().AtVisitAsync(id, dispensingVisit));
        var again = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().AtVisitAsync(id, dispensingVisit));
        var replaced = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().ReplaceAsync(id, assignment.KitCode.ToLowerInvariant(), KitState.Damaged, unitsLeft: "7"));
        var wrongVisit = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().AtVisitAsync(id, "W1"));

        Assert.True(atVisit.Succeeded);
        Assert.True(again.Value!.AlreadyDispensed);
        Assert.Equal(atVisit.Value!.KitCode, again.Value.KitCode);
        Assert.True(replaced.Succeeded);
        Assert.False(wrongVisit.Succeeded);

        var slot = await app.WithDbAsync(db => db.RandomizationSlots.SingleAsync(s => s.ParticipantId == id));
        var arm = await OpenArmAsync(trial.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm);
        var kits = await app.WithDbAsync(db => db.Kits.Where(k => k.ParticipantId == id).ToListAsync());
        Assert.Equal(3, kits.Count);
        foreach (var kit in kits)
        {
            Assert.Equal(arm, await OpenArmAsync(trial.TrialId, GenerateRandomizationList.KitArm, kit.Id, kit.SealedArm));
        }

        Assert.Equal(KitState.Damaged, kits.Single(k => k.Code == assignment.KitCode).State);
        Assert.Equal(kits.Single(k => k.Code == assignment.KitCode).Id, kits.Single(k => k.Code == replaced.Value!.KitCode).ReplacesKitId);
    }

    [Fact]
    public async Task The_list_verifies_against_its_commitment_and_a_second_list_is_refused()
    {
        var trial = await NewTrialAsync();
        var verification = await app.Services.GetRequiredService<ListVerifier>().VerifyAsync(trial.TrialId);
        Assert.True(verification.Verified, verification.Message);

        var second = await app.AsUserAsync("admin", s => s.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(trial.TrialId));
        Assert.False(second.Succeeded);
        Assert.Equal(1, await app.WithDbAsync(db => db.RandomizationLists.CountAsync(l => l.TrialId == trial.TrialId)));
    }

    [Fact]
    public async Task Randomization_writes_its_audit_entries_and_the_chain_stays_intact()
    {
        var trial = await NewTrialAsync();
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        await RandomizeAsync("coordinator", id);

        var entries = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.ParticipantId == id).OrderBy(e => e.ChainSeq).ToListAsync());
        Assert.Contains(entries, e => e.Action == "Randomize" && e.UserName == "Casey Coordinator" && e.Roles == "SiteCoordinator");
        Assert.Contains(entries, e => e.Action == "Update" && e.EntityType == nameof(RandomizationSlot) && e.Changes.Contains("[sealed]", StringComparison.Ordinal) is false);
        Assert.Contains(entries, e => e.Action == "Create" && e.EntityType == nameof(Dispensing));
        foreach (var entry in entries)
        {
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.DoesNotContain(secret, entry.Changes, StringComparison.Ordinal);
            }
        }

        var generated = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.TrialId == trial.TrialId && e.EntityType == nameof(RandomizationSlot) && e.Action == "Create").Select(e => e.Changes).FirstAsync());
        Assert.Contains("\"SealedArm\"", generated, StringComparison.Ordinal);
        Assert.Contains("[sealed]", generated, StringComparison.Ordinal);

        var report = await app.Services.GetRequiredService<TrialManager.Web.Data.Audit.AuditChainVerifier>().VerifyAsync();
        Assert.True(report.Intact, report.Problem);
        Assert.True(report.EntriesChecked > 100);
    }
}
