using System.Globalization;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Unblinding;

/// <summary>One row of the whole allocation list, for the approved requester only.</summary>
public sealed record AllocationRow(string Participant, string Site, string RandomizationNumber, string Stratum, string ArmCode, string ArmLabel, DateTimeOffset? RandomizedAt);

/// <summary>
/// The whole allocation list takes two distinct authorised people (safety officer or DSMB member): one asks with a
/// justification, another approves; the approval lasts <see cref="ApprovalLasts"/> and each view or export needs a
/// fresh re-authentication. Every step is audited; requests and approvals are announced to the other authorised people.
/// </summary>
public sealed class ListAccess(
    TrialDbContext db,
    CurrentUser me,
    Reauthentication reauthentication,
    Allocations allocations,
    Randomization.ListVerifier verifier,
    TrialProtocols protocols,
    Notifier notifier,
    TimeProvider clock)
{
    public const string PurposeField = "Purpose";
    public const string JustificationField = "Justification";
    public const string NoSuchRequest = "No such request.";
    public static readonly TimeSpan ApprovalLasts = TimeSpan.FromHours(24);

    public async Task<OperationResult<ListAccessRequest>> RequestAsync(Guid trialId, string? purpose, string? justification, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Unblinded);
        var result = new OperationResult();
        if (!EnumInput.TryRead<ListAccessPurpose>(purpose, out var parsed))
        {
            result.Add(PurposeField, "Choose whether the list is to be viewed or exported.");
        }

        var trial = await db.Trials.AsNoTracking().SingleOrDefaultAsync(t => t.Id == trialId, cancellationToken);
        if (string.IsNullOrWhiteSpace(justification) || justification.Trim().Length < 20 || justification.Length > 2000)
        {
            // Whole-list access is normal once the database is hard-locked; before that it has to be an exceptional need.
            result.Add(JustificationField, trial?.LockLevel == TrialLockLevel.Hard
                ? "Say why the whole list is needed (20 to 2000 characters)."
                : "Say why the whole list is needed now (20 to 2000 characters); the database is not locked, so this must be an exceptional need.");
        }

        if (trial is null)
        {
            result.Add("", "No such trial.");
        }
        else if (parsed == ListAccessPurpose.FinalUnblinding && FinalUnblindingRefusal(trial) is { } refusal)
        {
            result.Add(PurposeField, refusal);
        }
        else if (parsed == ListAccessPurpose.FinalUnblinding
            && await db.ListAccessRequests.AnyAsync(r => r.TrialId == trialId && r.Purpose == ListAccessPurpose.FinalUnblinding && r.ApprovedAt == null, cancellationToken))
        {
            result.Add(PurposeField, "Final unblinding is already asked for and waits for a second person.");
        }

        if (!result.Succeeded)
        {
            return new(result, null);
        }

        var request = new ListAccessRequest
        {
            TrialId = trialId,
            Purpose = parsed,
            Justification = justification!.Trim(),
            RequestedByUserId = me.Id,
            RequestedByName = me.DisplayName,
            RequestedAt = clock.GetUtcNow(),
        };
        db.ListAccessRequests.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer, TrialRoles.DsmbMember], parsed == ListAccessPurpose.FinalUnblinding ? "Request for final unblinding" : "Request for the whole allocation list",
            parsed == ListAccessPurpose.FinalUnblinding
                ? $"{me.DisplayName} asks for the final unblinding of {trial!.Code}. A second authorised person must approve it."
                : $"{me.DisplayName} asks to {parsed.ToString().ToLowerInvariant()} the whole allocation list. A second authorised person must approve it.",
            await PageAsync(trialId, cancellationToken), db.CurrentActor, cancellationToken);
        return new(OperationResult.Success, request);
    }

    /// <summary>A second, different authorised person approves; they too confirm who they are.</summary>
    public async Task<OperationResult> ApproveAsync(Guid requestId, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Unblinded);
        var request = await db.ListAccessRequests.SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        if (request is null)
        {
            return OperationResult.Fail("", NoSuchRequest);
        }

        if (request.RequestedByUserId == me.Id)
        {
            return OperationResult.Fail("", "A request needs a second person: you cannot approve your own.");
        }

        if (request.ApprovedAt is not null)
        {
            return OperationResult.Fail("", "The request is already approved.");
        }

        if (!await reauthentication.IsFreshAsync())
        {
            return OperationResult.Fail("", RevealAllocation.NotConfirmed);
        }

        if (request.Purpose == ListAccessPurpose.FinalUnblinding)
        {
            return await ReleaseAsync(request, cancellationToken);
        }

        var now = clock.GetUtcNow();
        request.ApprovedByUserId = me.Id;
        request.ApprovedByName = me.DisplayName;
        request.ApprovedAt = now;
        request.ExpiresAt = now + ApprovalLasts;
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyUsersAsync([request.RequestedByUserId], "Your allocation list request was approved",
            $"{me.DisplayName} approved your request to {request.Purpose.ToString().ToLowerInvariant()} the whole allocation list, for {ApprovalLasts.TotalHours:0} hours.",
            await PageAsync(request.TrialId, cancellationToken), db.CurrentActor, cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>The list, for the requester of an approved, unexpired request who confirmed who they are just now.</summary>
    public async Task<OperationResult<IReadOnlyList<AllocationRow>>> ReadAsync(Guid requestId, ListAccessPurpose use, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Unblinded);
        var request = await db.ListAccessRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        var now = clock.GetUtcNow();
        string? refusal = request switch
        {
            null => NoSuchRequest,
            { } r when r.RequestedByUserId != me.Id => "Only the person who asked may use an approved request.",
            { ApprovedAt: null } => "The request is not approved yet: it needs a second authorised person.",
            { } r when r.ExpiresAt < now => "The approval has expired; ask again.",
            { Purpose: ListAccessPurpose.FinalUnblinding } => "Final unblinding releases the allocation through the trial's exports, not here.",
            { } r when r.Purpose != use && use == ListAccessPurpose.Export => "This request was approved for viewing, not for export.",
            _ => null,
        };
        if (refusal is null && !await reauthentication.IsFreshAsync())
        {
            refusal = RevealAllocation.NotConfirmed;
        }

        if (refusal is not null)
        {
            return new(OperationResult.Fail("", refusal), null);
        }

        var trialId = request!.TrialId;
        var arms = await allocations.ArmsByParticipantAsync(trialId, cancellationToken);
        var protocol = (await protocols.CurrentAsync(trialId, cancellationToken)).Protocol;
        var participants = await db.Participants.AsNoTracking().Where(p => p.TrialId == trialId && p.RandomizationNumber != null)
            .Join(db.Sites, p => p.SiteId, s => s.Id, (p, s) => new { p.Id, p.Number, Site = s.Code, p.RandomizationNumber, p.StratumLevels, p.RandomizedAt })
            .OrderBy(p => p.RandomizationNumber)
            .ToListAsync(cancellationToken);
        var rows = participants.Select(p =>
        {
            var arm = arms.GetValueOrDefault(p.Id, "");
            return new AllocationRow(p.Number, p.Site, p.RandomizationNumber!, p.StratumLevels, arm, protocol.Arms.FirstOrDefault(a => a.Code == arm)?.BlindedLabel ?? arm, p.RandomizedAt);
        }).ToList();
        db.AuditAction(use == ListAccessPurpose.Export ? "ExportAllocationList" : "ViewAllocationList", nameof(ListAccessRequest), request.Id.ToString(),
            new { Rows = rows.Count, ApprovedBy = request.ApprovedByName }, trialId);
        await db.SaveChangesAsync(cancellationToken);
        return new(OperationResult.Success, rows);
    }

    /// <summary>The list as CSV, written the way the audit export writes (cells a spreadsheet would run as a formula escaped).</summary>
    public static async Task<byte[]> CsvAsync(IReadOnlyList<AllocationRow> rows, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await using (var csv = CsvWriter.Create(buffer, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            await csv.WriteRecordAsync(["Participant", "Site", "RandomizationNumber", "Stratum", "ArmCode", "ArmLabel", "RandomizedAtUtc"], cancellationToken);
            foreach (var r in rows)
            {
                await csv.WriteRecordAsync(
                    [r.Participant, r.Site, r.RandomizationNumber, r.Stratum, r.ArmCode, r.ArmLabel, r.RandomizedAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? ""],
                    cancellationToken);
            }

            await csv.FlushAsync(cancellationToken);
        }

        return buffer.ToArray();
    }

    /// <summary>Why a trial cannot be finally unblinded now; null when it can.</summary>
    public static string? FinalUnblindingRefusal(Trial trial) => trial switch
    {
        { FinalUnblindedAt: not null } => "The trial is already finally unblinded.",
        { LockLevel: not TrialLockLevel.Hard } => "Final unblinding needs the database hard-locked first.",
        _ => null,
    };

    /// <summary>
    /// The second person's approval of final unblinding: the trial must still be hard-locked and its list must still match
    /// the commitment published when it was generated; then the allocation is released to the data manager and the DSMB.
    /// </summary>
    private async Task<OperationResult> ReleaseAsync(ListAccessRequest request, CancellationToken cancellationToken)
    {
        var trial = await db.Trials.SingleAsync(t => t.Id == request.TrialId, cancellationToken);
        if (FinalUnblindingRefusal(trial) is { } refusal)
        {
            return OperationResult.Fail("", refusal);
        }

        var verification = await verifier.VerifyAsync(trial.Id, cancellationToken);
        if (!verification.Verified)
        {
            db.AuditAction("FinalUnblindingRefused", nameof(Trial), trial.Id.ToString(), new { Verification = verification.Message }, trial.Id);
            await db.SaveChangesAsync(cancellationToken);
            await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer], "Randomization list failed verification",
                $"Final unblinding of {trial.Code} was refused because the list does not match its commitment: {verification.Message}", "/trials", db.CurrentActor, cancellationToken);
            return OperationResult.Fail("", "The randomization list does not match its published commitment, so nothing was released. The safety officers have been alerted.");
        }

        var now = clock.GetUtcNow();
        request.ApprovedByUserId = me.Id;
        request.ApprovedByName = me.DisplayName;
        request.ApprovedAt = now;
        trial.FinalUnblindedAt = now;
        db.AuditAction("FinalUnblinding", nameof(Trial), trial.Id.ToString(),
            new { RequestedBy = request.RequestedByName, ApprovedBy = me.DisplayName, Commitment = verification.Message }, trial.Id);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer, TrialRoles.DsmbMember, TrialRoles.DataManager], $"{trial.Code} is finally unblinded",
            $"{request.RequestedByName} and {me.DisplayName} released the allocation of {trial.Code} after the database lock. The unblinded exports are open to the data manager and the DSMB.",
            $"/trials/{trial.Code}/exports", db.CurrentActor, cancellationToken);
        return OperationResult.Success;
    }

    private async Task<string> PageAsync(Guid trialId, CancellationToken cancellationToken) =>
        $"/trials/{await db.Trials.Where(t => t.Id == trialId).Select(t => t.Code).SingleAsync(cancellationToken)}/allocation-list";
}
