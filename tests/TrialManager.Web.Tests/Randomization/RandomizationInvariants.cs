using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Sealing;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Randomization;

/// <summary>What must hold after any mix of concurrent, retried or interrupted randomizations.</summary>
internal static class RandomizationInvariants
{
    /// <summary>Randomizes one participant through their page, as a coordinator's browser does. True when it succeeded.</summary>
    public static async Task<bool> RandomizeThroughPageAsync(TestBrowser browser, Guid participantId)
    {
        var page = await browser.GetAsync($"/participants/{participantId}");
        if (page.Document.QuerySelector("[data-testid=randomization-number]") is not null)
        {
            return true;
        }

        var done = await browser.SubmitAsync(page, "randomize");
        return done.Document.QuerySelector("[data-testid=randomization-number]") is not null;
    }

    /// <summary>
    /// Every participant has either no trace of randomization or a complete one (status, number, one slot, one kit, one
    /// dispensing, one audit entry); no slot or kit is used twice; each stratum's used slots are exactly 1..n; each
    /// participant's kit has the arm of their slot; and the audit chain is intact. Returns how many are randomized.
    /// </summary>
    public static async Task<int> AssertAllOrNothingAsync(TrialApp app, RandomizationTrial trial)
    {
        var participants = await app.WithDbAsync(db => db.Participants.AsNoTracking().Where(p => p.TrialId == trial.TrialId).ToListAsync());
        var slots = await app.WithDbAsync(db => db.RandomizationSlots.AsNoTracking().Where(s => s.TrialId == trial.TrialId && s.ParticipantId != null).ToListAsync());
        var kits = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.ParticipantId != null).ToListAsync());
        var dispensings = await app.WithDbAsync(db => db.Dispensings.AsNoTracking().Where(d => d.TrialId == trial.TrialId).ToListAsync());
        var audited = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.TrialId == trial.TrialId && e.Action == "Randomize").Select(e => e.ParticipantId!.Value).ToListAsync());
        var sealer = app.Services.GetRequiredService<Sealer>();

        foreach (var participant in participants)
        {
            var randomized = participant.Status == ParticipantStatus.Randomized;
            var slotCount = slots.Count(s => s.ParticipantId == participant.Id);
            var kitCount = kits.Count(k => k.ParticipantId == participant.Id);
            var dispensingCount = dispensings.Count(d => d.ParticipantId == participant.Id);
            var auditCount = audited.Count(id => id == participant.Id);
            var expected = randomized ? 1 : 0;
            Assert.True(
                slotCount == expected && kitCount == expected && dispensingCount == expected && auditCount == expected && (participant.RandomizationNumber is not null) == randomized,
                $"{participant.Number}: status {participant.Status}, number {participant.RandomizationNumber}, slots {slotCount}, kits {kitCount}, dispensings {dispensingCount}, audit {auditCount}");
        }

        Assert.Equal(slots.Count, slots.Select(s => s.Id).Distinct().Count());
        Assert.Equal(kits.Count, kits.Select(k => k.Id).Distinct().Count());
        foreach (var stratum in slots.GroupBy(s => s.StratumKey))
        {
            Assert.Equal(Enumerable.Range(1, stratum.Count()), stratum.Select(s => s.Number).Order());
        }

        var numbers = participants.Where(p => p.RandomizationNumber is not null).Select(p => p.RandomizationNumber!).ToList();
        Assert.Equal(numbers.Count, numbers.Distinct().Count());

        foreach (var slot in slots)
        {
            var kit = kits.Single(k => k.ParticipantId == slot.ParticipantId);
            Assert.Equal(
                await sealer.OpenArmAsync(trial.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm),
                await sealer.OpenArmAsync(trial.TrialId, GenerateRandomizationList.KitArm, kit.Id, kit.SealedArm));
        }

        var chain = await app.Services.GetRequiredService<TrialManager.Web.Data.Audit.AuditChainVerifier>().VerifyAsync();
        Assert.True(chain.Intact, chain.Problem);
        Assert.True((await app.Services.GetRequiredService<ListVerifier>().VerifyAsync(trial.TrialId)).Verified);
        return slots.Count;
    }
}
