using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Participants;

/// <summary>
/// Records the date a visit took place (or that it was missed). A date outside the visit's window, in the site's
/// calendar, raises a protocol deviation automatically in the same save.
/// </summary>
public sealed class RecordVisit(TrialDbContext db, ParticipantAccess access, TrialProtocols protocols, CurrentUser me, TimeProvider clock)
{
    public const string DateField = "DoneOn";

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string visitCode, string? doneOn, bool missed, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var visit = protocol.FindVisit(visitCode);
        if (visit is null || participant.RandomizedAt is null || visit.Kind == Domain.Protocols.VisitKind.Screening)
        {
            return OperationResult.Fail("", "Visits are recorded for randomized participants, from their schedule.");
        }

        var zone = await access.SiteZoneAsync(participant, cancellationToken);
        var randomizedOn = SiteCalendar.LocalDate(participant.RandomizedAt.Value, zone);
        var today = SiteCalendar.LocalDate(clock.GetUtcNow(), zone);
        var scheduled = VisitSchedule.FromRandomization(protocol, randomizedOn).Single(v => v.Visit.Code == visit.Code);
        DateOnly? date = null;
        if (!missed)
        {
            if (!DateOnly.TryParseExact(doneOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return OperationResult.Fail(DateField, "Enter the visit date, for example 2026-03-09.");
            }

            if (parsed > today || parsed < randomizedOn)
            {
                return OperationResult.Fail(DateField, $"The visit date must be between the randomization date ({randomizedOn:yyyy-MM-dd}) and today ({today:yyyy-MM-dd}).");
            }

            date = parsed;
        }

        var record = await db.VisitRecords.SingleOrDefaultAsync(v => v.ParticipantId == participant.Id && v.VisitCode == visit.Code, cancellationToken);
        if (record is null)
        {
            record = new VisitRecord { ParticipantId = participant.Id, VisitCode = visit.Code, SiteId = participant.SiteId };
            db.VisitRecords.Add(record);
        }

        record.DoneOn = date;
        record.Missed = missed;
        record.RecordedAt = clock.GetUtcNow();
        record.RecordedByName = me.DisplayName;
        if (date is { } done && !scheduled.IsInWindow(done))
        {
            db.ProtocolDeviations.Add(new ProtocolDeviation
            {
                TrialId = participant.TrialId,
                SiteId = participant.SiteId,
                ParticipantId = participant.Id,
                VisitCode = visit.Code,
                Kind = DeviationKind.VisitOutOfWindow,
                Description = string.Create(CultureInfo.InvariantCulture, $"Visit {visit.Code} on {done:yyyy-MM-dd}, outside its window {scheduled.Earliest:yyyy-MM-dd} to {scheduled.Latest:yyyy-MM-dd}."),
                RaisedAt = clock.GetUtcNow(),
                RaisedByName = "TrialManager (automatic)",
            });
        }

        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
