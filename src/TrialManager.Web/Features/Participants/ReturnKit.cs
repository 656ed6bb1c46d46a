using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Participants;

/// <summary>A dispensed kit comes back: the unused units are counted (the pill count behind adherence) and the kit is marked returned.</summary>
public sealed class ReturnKit(TrialDbContext db, ParticipantAccess access, TrialProtocols protocols, Supply.SupplyLedger ledger, TimeProvider clock)
{
    public const string UnitsField = "UnusedUnits";

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string? kitCode, string? unusedUnits, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var code = Domain.Randomization.KitCode.Normalize(kitCode);
        var kit = await db.Kits.SingleOrDefaultAsync(k => k.Code == code && k.ParticipantId == participant.Id && k.State == KitState.Dispensed, cancellationToken);
        if (kit is null)
        {
            return OperationResult.Fail("KitCode", "Choose a kit the participant has now.");
        }

        if (!int.TryParse(unusedUnits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var units) || units > Math.Min(protocol.Kits.UnitsPerKit, kit.Units))
        {
            return OperationResult.Fail(UnitsField, $"Count the unused {protocol.Kits.Unit}s: a number from 0 to {Math.Min(protocol.Kits.UnitsPerKit, kit.Units)}.");
        }

        var zone = await access.SiteZoneAsync(participant, cancellationToken);
        kit.State = KitState.Returned;
        kit.ReturnedOn = SiteCalendar.LocalDate(clock.GetUtcNow(), zone);
        kit.UnusedUnitsReturned = units;
        kit.Units = units;
        ledger.Record(kit, participant.SiteId, KitEventKind.Returned, new Supply.KitEventDetails(Reason: "Returned by the participant; unused units counted", Units: units, Participant: participant));
        db.AuditAction("ReturnKit", nameof(Kit), kit.Id.ToString(), new { KitCode = kit.Code, UnusedUnits = units }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
