using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Web.Features.Unblinding;

public sealed class RevealInput
{
    public string? Reason { get; set; }

    public string? Explanation { get; set; }
}

/// <summary>What the revealing person is shown, once, on the page that answers their request. It is never stored.</summary>
public sealed record RevealedAllocation(string ParticipantNumber, string ArmCode, string ArmLabel, DateTimeOffset At);

/// <summary>
/// Reveals one participant's allocation: the safety officer through the vault, or an investigator through the emergency
/// code-break for their own participant. Both need a fresh re-authentication, a reason and an explanation, and a list
/// that still matches its commitment. The reveal is recorded and announced without the arm. See README.md here.
/// </summary>
public sealed class RevealAllocation(
    TrialDbContext db,
    CurrentUser me,
    Reauthentication reauthentication,
    ListVerifier verifier,
    Allocations allocations,
    TrialProtocols protocols,
    Notifier notifier,
    TimeProvider clock)
{
    public const string ParticipantField = "ParticipantNumber";
    public const string ReasonField = nameof(RevealInput.Reason);
    public const string ExplanationField = nameof(RevealInput.Explanation);
    public const string NotConfirmed = "Confirm it is you first (password and authenticator code, within the last 5 minutes).";

    public static IReadOnlyList<(UnblindingReason Reason, string Label)> Reasons { get; } =
    [
        (UnblindingReason.SusarAssessment, "SUSAR assessment"),
        (UnblindingReason.MedicalEmergency, "Medical emergency"),
        (UnblindingReason.DsmbRequest, "DSMB request"),
        (UnblindingReason.RegulatoryRequest, "Regulatory request"),
        (UnblindingReason.Other, "Other (explain)"),
    ];

    public static string Describe(UnblindingReason reason) => Reasons.First(r => r.Reason == reason).Label;

    /// <summary>The safety officer's reveal of one participant, found by trial and number.</summary>
    public async Task<OperationResult<RevealedAllocation>> VaultAsync(Guid trialId, string? participantNumber, RevealInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Vault);
        var number = participantNumber?.Trim().ToUpperInvariant() ?? "";
        var participant = number.Length is > 0 and <= 32
            ? await db.Participants.SingleOrDefaultAsync(p => p.TrialId == trialId && p.Number == number, cancellationToken)
            : null;
        if (participant is null)
        {
            return Fail(ParticipantField, "There is no participant with that number in this trial.");
        }

        return await RevealAsync(participant, UnblindingKind.Vault, input, cancellationToken);
    }

    /// <summary>The emergency code-break by someone the protocol allows, for a participant of their own site.</summary>
    public async Task<OperationResult<RevealedAllocation>> CodeBreakAsync(Guid participantId, RevealInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.CodeBreak);
        var participant = await db.Participants.SingleOrDefaultAsync(p => p.Id == participantId, cancellationToken)
            ?? throw new OperationForbiddenException("No such participant.");
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var allowed = protocol.Safety.CodeBreakRoles.Any(me.IsInRole);
        var ownSite = me.IsInRole(TrialRoles.SafetyOfficer) || (await me.MemberSiteIdsAsync(cancellationToken)).Contains(participant.SiteId);
        if (!allowed || !ownSite)
        {
            throw new OperationForbiddenException("The protocol does not let this user break the code for this participant.");
        }

        return await RevealAsync(participant, UnblindingKind.EmergencyCodeBreak, input, cancellationToken);
    }

    private async Task<OperationResult<RevealedAllocation>> RevealAsync(Participant participant, UnblindingKind kind, RevealInput input, CancellationToken cancellationToken)
    {
        if (participant.RandomizationNumber is null)
        {
            return Fail(ParticipantField, $"{participant.Number} is not randomized: there is no allocation to reveal.");
        }

        var result = new OperationResult();
        if (!EnumInput.TryRead<UnblindingReason>(input.Reason, out var reason))
        {
            result.Add(ReasonField, "Choose why the allocation is needed.");
        }

        if (string.IsNullOrWhiteSpace(input.Explanation) || input.Explanation.Trim().Length < 10 || input.Explanation.Length > 2000)
        {
            result.Add(ExplanationField, "Explain why in a sentence or two (10 to 2000 characters).");
        }

        if (!await reauthentication.IsFreshAsync())
        {
            result.Add("", NotConfirmed);
        }

        if (!result.Succeeded)
        {
            return new(result, null);
        }

        // Reveal nothing from a list that no longer matches what was committed: that is tampering or corruption.
        var verification = await verifier.VerifyAsync(participant.TrialId, cancellationToken);
        if (!verification.Verified)
        {
            db.AuditAction("RevealRefused", nameof(Participant), participant.Id.ToString(), new { Participant = participant.Number, Kind = kind.ToString(), Verification = verification.Message }, participant.TrialId, participant.SiteId, participant.Id);
            await db.SaveChangesAsync(cancellationToken);
            await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer], "Randomization list failed verification",
                $"A reveal for {participant.Number} was refused because the list does not match its commitment: {verification.Message}", "/trials", db.CurrentActor, cancellationToken);
            return Fail("", "The randomization list does not match its published commitment, so nothing was revealed. The safety officers have been alerted.");
        }

        var arm = await allocations.ArmOfAsync(participant.TrialId, participant.Id, cancellationToken)
            ?? throw new InvalidOperationException($"{participant.Number} has a randomization number but no slot.");
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var now = clock.GetUtcNow();
        db.Unblindings.Add(new Data.Unblinding
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            Kind = kind,
            Reason = reason,
            Explanation = input.Explanation!.Trim(),
            RevealedByUserId = me.Id,
            RevealedByName = me.DisplayName,
            RevealedAt = now,
        });
        db.AuditAction(kind == UnblindingKind.Vault ? "Reveal" : "CodeBreak", nameof(Participant), participant.Id.ToString(),
            new { Participant = participant.Number, Reason = reason.ToString() }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        await AnnounceAsync(participant, kind, reason, cancellationToken);
        var label = protocol.Arms.FirstOrDefault(a => a.Code == arm)?.BlindedLabel ?? arm;
        return new(OperationResult.Success, new RevealedAllocation(participant.Number, arm, label, now));
    }

    /// <summary>Tells who must know that the blind was broken for this participant; never which arm.</summary>
    private async Task AnnounceAsync(Participant participant, UnblindingKind kind, UnblindingReason reason, CancellationToken cancellationToken)
    {
        var how = kind == UnblindingKind.Vault ? "by the safety officer through the vault" : "by an emergency code-break";
        var subject = $"{participant.Number} was unblinded";
        var body = $"{participant.Number} was unblinded {how} ({Describe(reason)}) by {me.DisplayName}. The allocation is not in this message.";
        var link = $"/participants/{participant.Id}";
        if (kind == UnblindingKind.Vault)
        {
            var investigators = await db.SiteMemberships.Where(m => m.SiteId == participant.SiteId)
                .Join(db.UserRoles, m => m.UserId, ur => ur.UserId, (m, ur) => new { m.UserId, ur.RoleId })
                .Join(db.Roles.Where(r => r.Name == TrialRoles.Investigator), x => x.RoleId, r => r.Id, (x, _) => x.UserId)
                .Distinct().ToListAsync(cancellationToken);
            await notifier.NotifyUsersAsync(investigators, subject, body, link, db.CurrentActor, cancellationToken);
            await notifier.NotifyRolesAsync([TrialRoles.DataManager], subject, body, link, db.CurrentActor, cancellationToken);
        }
        else
        {
            // The safety officer hears at once; the data manager too, as for any reveal.
            await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer, TrialRoles.DataManager], subject, body, link, db.CurrentActor, cancellationToken);
        }
    }

    private static OperationResult<RevealedAllocation> Fail(string field, string message) => new(OperationResult.Fail(field, message), null);
}
