using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Safety;

/// <summary>
/// Site staff report an adverse event (version 1) or a follow-up (the next version). Each version is whole and final;
/// the consistency rules (AdverseEventRules) must hold before anything is saved. A serious event, or one of special
/// interest, alerts the safety officer at once. See README.md beside this file.
/// </summary>
public sealed class ReportAdverseEvent(
    TrialDbContext db,
    ParticipantAccess participants,
    SafetyAccess access,
    TrialProtocols protocols,
    Notifier notifier,
    CurrentUser me,
    TimeProvider clock)
{
    public async Task<OperationResult<AdverseEvent>> InitialAsync(Guid participantId, AdverseEventInput input, CancellationToken cancellationToken = default)
    {
        var participant = await participants.ForSiteWorkAsync(participantId, cancellationToken);
        var zone = await participants.SiteZoneAsync(participant, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var result = new OperationResult();
        if (participant.ConsentedOn is null)
        {
            return new(OperationResult.Fail("", "Record the participant's consent before reporting adverse events."), null);
        }

        var report = Check(input, protocol.Safety, participant.ConsentedOn, zone, result);
        if (report is null)
        {
            return new(result, null);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var sequence = await db.NextCounterValueAsync(participant.TrialId, $"ae:{participant.Number}", cancellationToken);
        var adverseEvent = new AdverseEvent
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            Number = $"{participant.Number}-AE{sequence:00}",
            CurrentVersion = 1,
            CreatedAt = clock.GetUtcNow(),
        };
        adverseEvent.Versions.Add(NewVersion(adverseEvent, 1, report, input, null));
        db.AdverseEvents.Add(adverseEvent);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AlertAsync(adverseEvent, report, 1, cancellationToken);
        return new(OperationResult.Success, adverseEvent);
    }

    public async Task<OperationResult<AdverseEvent>> FollowUpAsync(Guid eventId, AdverseEventInput input, CancellationToken cancellationToken = default)
    {
        var adverseEvent = await access.EventForSiteWorkAsync(eventId, Policies.SiteWork, cancellationToken);
        var participant = await participants.ForSiteWorkAsync(adverseEvent.ParticipantId, cancellationToken);
        var zone = await participants.SiteZoneAsync(participant, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var result = new OperationResult();
        if (string.IsNullOrWhiteSpace(input.FollowUpNote))
        {
            result.Add(AdverseEventInput.FollowUpNoteField, "Say what is new in this follow-up.");
        }

        var report = Check(input, protocol.Safety, participant.ConsentedOn, zone, result);
        if (report is null || !result.Succeeded)
        {
            return new(result, null);
        }

        // The version number is taken under the event row's lock, so two follow-ups at once cannot both be version N.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var current = await db.Database.SqlQuery<int>($"""SELECT "CurrentVersion" AS "Value" FROM "AdverseEvents" WHERE "Id" = {adverseEvent.Id} FOR UPDATE""")
            .SingleAsync(cancellationToken);
        var version = current + 1;
        adverseEvent.CurrentVersion = version;
        db.AdverseEventVersions.Add(NewVersion(adverseEvent, version, report, input, input.FollowUpNote!.Trim()));
        db.AuditReason = input.FollowUpNote.Trim();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AlertAsync(adverseEvent, report, version, cancellationToken);
        return new(OperationResult.Success, adverseEvent);
    }

    private AdverseEventReport? Check(AdverseEventInput input, SafetyRules rules, DateOnly? consentedOn, TimeZoneInfo zone, OperationResult result)
    {
        var report = input.Read(zone, result);
        if (report is null)
        {
            return null;
        }

        foreach (var problem in AdverseEventRules.Check(report, rules, consentedOn, clock.GetUtcNow(), zone))
        {
            // The page asks for the awareness time as a local date and time; its messages go beside the date.
            result.Add(problem.Field == AdverseEventRules.SiteAwareAt ? AdverseEventInput.AwareDateField : problem.Field, problem.Message);
        }

        return result.Succeeded ? report : null;
    }

    private AdverseEventVersion NewVersion(AdverseEvent adverseEvent, int version, AdverseEventReport report, AdverseEventInput input, string? note) => new()
    {
        AdverseEventId = adverseEvent.Id,
        TrialId = adverseEvent.TrialId,
        SiteId = adverseEvent.SiteId,
        ParticipantId = adverseEvent.ParticipantId,
        Version = version,
        ReportedTerm = report.ReportedTerm,
        CodedTerm = report.CodedTerm,
        Code = report.Code,
        Onset = report.Onset,
        End = report.End,
        Grade = report.Grade,
        Serious = report.Serious,
        SeriousnessCriteria = string.Join('|', report.SeriousnessCriteria),
        Causality = report.Causality,
        ActionTaken = report.ActionTaken,
        Outcome = report.Outcome,
        SpecialInterestCode = report.SpecialInterestCode,
        Narrative = string.IsNullOrWhiteSpace(input.Narrative) ? null : input.Narrative.Trim(),
        SiteAwareAt = report.SiteAwareAt,
        ReceivedAt = clock.GetUtcNow(),
        ReportedByUserId = me.Id,
        ReportedByName = me.DisplayName,
        FollowUpNote = note,
    };

    private async Task AlertAsync(AdverseEvent adverseEvent, AdverseEventReport report, int version, CancellationToken cancellationToken)
    {
        if (!report.NeedsPromptReport)
        {
            return;
        }

        var what = report.Serious ? "Serious adverse event" : "Adverse event of special interest";
        var subject = version == 1 ? $"{what} {adverseEvent.Number}" : $"Follow-up {version} of {what.ToLowerInvariant()} {adverseEvent.Number}";
        var body = $"{adverseEvent.Number}: {report.ReportedTerm}, grade {report.Grade}. Reported by {me.DisplayName}. It needs the sponsor's assessment.";
        await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer], subject, body, $"/adverse-events/{adverseEvent.Id}", db.CurrentActor, cancellationToken);
    }
}
