using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Randomization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Randomization;

public sealed record ListVerification(bool Verified, string Message);

/// <summary>
/// Proves the stored list is the one committed to: opens the sealed seed and salt (master key needed), regenerates the
/// list from the protocol version it was made under, checks the commitment, and checks every stored slot's sealed
/// arm against the regenerated list. Run before any reveal and at final unblinding. Its answer never includes an arm.
/// </summary>
public sealed class ListVerifier(IDbContextFactory<TrialDbContext> dbFactory, Sealer sealer, TrialProtocols protocols)
{
    public async Task<ListVerification> VerifyAsync(Guid trialId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.RandomizationLists.AsNoTracking().SingleOrDefaultAsync(l => l.TrialId == trialId, cancellationToken);
        if (row is null)
        {
            return new(false, "The trial has no randomization list.");
        }

        try
        {
            var seed = await sealer.OpenAsync(trialId, GenerateRandomizationList.ListSeed, row.Id, row.SealedSeed, cancellationToken);
            var salt = await sealer.OpenAsync(trialId, GenerateRandomizationList.ListSalt, row.Id, row.SealedSalt, cancellationToken);
            var protocol = await protocols.ForVersionAsync(row.ProtocolVersionId, cancellationToken);
            var list = ListGenerator.Generate(RandomizationDesign.FromProtocol(protocol), seed);
            if (!ListCommitment.Verify(list, salt, Convert.FromHexString(row.Commitment)))
            {
                return new(false, "The list regenerated from its sealed seed does not match the stored commitment.");
            }

            var expected = list.Strata.SelectMany(s => s.Slots.Select(slot => (Key: (s.Stratum.Canonical, slot.Number), slot.ArmCode)))
                .ToDictionary(x => x.Key, x => x.ArmCode);
            var stored = await db.RandomizationSlots.AsNoTracking().Where(s => s.ListId == row.Id).Select(s => new { s.Id, s.StratumKey, s.Number, s.SealedArm }).ToListAsync(cancellationToken);
            if (stored.Count != expected.Count)
            {
                return new(false, $"The list has {stored.Count} stored slots where {expected.Count} were committed.");
            }

            foreach (var slot in stored)
            {
                var arm = await sealer.OpenArmAsync(trialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm, cancellationToken);
                if (!expected.TryGetValue((slot.StratumKey, slot.Number), out var committed) || committed != arm)
                {
                    return new(false, $"Slot {slot.Number} of stratum {slot.StratumKey} does not match the committed list.");
                }
            }

            return new(true, $"The list matches its commitment ({stored.Count} slots checked).");
        }
        catch (SealBrokenException e)
        {
            return new(false, e.Message);
        }
    }
}
