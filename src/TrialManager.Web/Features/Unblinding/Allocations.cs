using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Unblinding;

/// <summary>
/// The one place that opens participants' allocations for people to see (the vault, the code-break, the DSMB's closed
/// reports, the approved whole-list view). It checks nothing itself: every caller has checked its own unblinded
/// access first and records the reveal. Arms come back as protocol arm codes.
/// </summary>
public sealed class Allocations(IDbContextFactory<TrialDbContext> dbFactory, Sealer sealer)
{
    /// <summary>The arm of one randomized participant, or null when they have no allocation.</summary>
    public async Task<string?> ArmOfAsync(Guid trialId, Guid participantId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var slot = await db.RandomizationSlots.AsNoTracking()
            .Where(s => s.TrialId == trialId && s.ParticipantId == participantId)
            .Select(s => new { s.Id, s.SealedArm })
            .SingleOrDefaultAsync(cancellationToken);
        return slot is null ? null : await sealer.OpenArmAsync(trialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm, cancellationToken);
    }

    /// <summary>Every randomized participant's arm in a trial (one key unwrap, then one opening per slot).</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> ArmsByParticipantAsync(Guid trialId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var slots = await db.RandomizationSlots.AsNoTracking()
            .Where(s => s.TrialId == trialId && s.ParticipantId != null)
            .Select(s => new { s.Id, s.SealedArm, ParticipantId = s.ParticipantId!.Value })
            .ToListAsync(cancellationToken);
        var arms = await sealer.OpenArmsAsync(trialId, GenerateRandomizationList.SlotArm, slots.Select(s => (s.Id, s.SealedArm)), cancellationToken);
        return slots.ToDictionary(s => s.ParticipantId, s => arms[s.Id]);
    }
}
