using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Signatures;

namespace TrialManager.Web.Features.DatabaseLock;

/// <summary>
/// The database lock of a trial. A data manager raises it (soft, then hard; or straight to hard) with a reason, at once.
/// Lowering it takes two people: a data manager asks with a reason, and a second, different data manager or
/// administrator approves with their password. After final unblinding the lock never comes off. Every step is
/// audited (the change row and a workflow entry) and announced. The lock itself is enforced on every save by
/// <see cref="DatabaseLockGuard"/>; these operations only move it.
/// </summary>
public sealed class TrialLocks(TrialDbContext db, CurrentUser me, SignInManager<ApplicationUser> signIn, Notifier notifier, TimeProvider clock)
{
    public const string LevelField = "Level";
    public const string ReasonField = "Reason";
    public const string PasswordField = "Password";

    /// <summary>A data manager raises the lock to <paramref name="level"/>.</summary>
    public async Task<OperationResult> LockAsync(Guid trialId, string? level, string? reason, CancellationToken cancellationToken = default)
    {
        await DemandDataManagerAsync();
        var trial = await db.Trials.SingleOrDefaultAsync(t => t.Id == trialId, cancellationToken);
        var result = new OperationResult();
        if (!EnumInput.TryRead<TrialLockLevel>(level, out var target) || trial is null || target <= trial.LockLevel)
        {
            result.Add(LevelField, trial is null ? "No such trial." : $"Choose a level above the present one ({trial.LockLevel.Words()}).");
        }

        CheckReason(result, reason);
        if (result.Succeeded && target == TrialLockLevel.Hard)
        {
            var open = await db.DataQueries.CountAsync(q => q.Status != QueryStatus.Closed && db.Participants.Any(p => p.Id == q.ParticipantId && p.TrialId == trialId), cancellationToken);
            if (open > 0)
            {
                result.Add(LevelField, $"{open} data {(open == 1 ? "query is" : "queries are")} not closed. Close them first: a soft lock lets them be answered and closed.");
            }
        }

        if (!result.Succeeded)
        {
            return result;
        }

        var now = clock.GetUtcNow();
        var change = new DatabaseLockChange
        {
            TrialId = trial!.Id,
            FromLevel = trial.LockLevel,
            ToLevel = target,
            Reason = reason!.Trim(),
            RequestedByUserId = me.Id,
            RequestedByName = me.DisplayName,
            RequestedAt = now,
            AppliedAt = now,
        };
        db.DatabaseLockChanges.Add(change);
        trial.LockLevel = target;
        db.AuditAction("LockDatabase", nameof(Trial), trial.Id.ToString(), new { From = change.FromLevel.ToString(), To = target.ToString(), change.Reason }, trial.Id);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync(TrialRoles.All, $"{trial.Code} is {target.Words()}",
            $"{me.DisplayName} {target.Words()} the database of {trial.Code}: {target.Meaning()} Reason: {change.Reason}", $"/trials/{trial.Code}/lock", db.CurrentActor, cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>A data manager asks to lower the lock; nothing changes until a second person approves.</summary>
    public async Task<OperationResult> RequestUnlockAsync(Guid trialId, string? level, string? reason, CancellationToken cancellationToken = default)
    {
        await DemandDataManagerAsync();
        var trial = await db.Trials.AsNoTracking().SingleOrDefaultAsync(t => t.Id == trialId, cancellationToken);
        var result = new OperationResult();
        if (trial is null)
        {
            return OperationResult.Fail("", "No such trial.");
        }

        if (trial.FinalUnblindedAt is not null)
        {
            return OperationResult.Fail("", "The trial is finally unblinded: its database stays locked, since changes made knowing the allocation could bias the results.");
        }

        if (!EnumInput.TryRead<TrialLockLevel>(level, out var target) || target >= trial.LockLevel)
        {
            result.Add(LevelField, $"Choose a level below the present one ({trial.LockLevel.Words()}).");
        }

        CheckReason(result, reason);
        if (await db.DatabaseLockChanges.AnyAsync(c => c.TrialId == trialId && c.AppliedAt == null && c.WithdrawnAt == null, cancellationToken))
        {
            result.Add("", "An unlock is already waiting for its second person; approve or withdraw it first.");
        }

        if (!result.Succeeded)
        {
            return result;
        }

        var change = new DatabaseLockChange
        {
            TrialId = trial.Id,
            FromLevel = trial.LockLevel,
            ToLevel = target,
            Reason = reason!.Trim(),
            RequestedByUserId = me.Id,
            RequestedByName = me.DisplayName,
            RequestedAt = clock.GetUtcNow(),
        };
        db.DatabaseLockChanges.Add(change);
        db.AuditAction("RequestUnlock", nameof(Trial), trial.Id.ToString(), new { From = change.FromLevel.ToString(), To = target.ToString(), change.Reason }, trial.Id);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync([TrialRoles.DataManager, TrialRoles.Administrator], $"Unlock of {trial.Code} asked for",
            $"{me.DisplayName} asks to take the database of {trial.Code} from {change.FromLevel.Words()} to {target.Words()}. A second person must approve. Reason: {change.Reason}",
            $"/trials/{trial.Code}/lock", db.CurrentActor, cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>The second person approves an unlock with their password; only then does the level go down.</summary>
    public async Task<OperationResult> ApproveUnlockAsync(Guid changeId, string? password, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.DatabaseLock);
        var change = await db.DatabaseLockChanges.SingleOrDefaultAsync(c => c.Id == changeId, cancellationToken);
        if (change is null || !change.IsPending || !change.IsUnlock)
        {
            return OperationResult.Fail("", "No such unlock is waiting.");
        }

        if (change.RequestedByUserId == me.Id)
        {
            return OperationResult.Fail("", "An unlock needs a second person: you cannot approve your own.");
        }

        var trial = await db.Trials.SingleAsync(t => t.Id == change.TrialId, cancellationToken);
        if (trial.FinalUnblindedAt is not null || trial.LockLevel != change.FromLevel)
        {
            return OperationResult.Fail("", "The lock has changed since this was asked; withdraw it and ask again.");
        }

        var user = await signIn.UserManager.FindByIdAsync(me.Id) ?? throw new OperationForbiddenException("No such user.");
        var check = await SignatureCheck.PasswordAgainAsync(signIn, user, password);
        if (!check.Succeeded)
        {
            db.ChangeTracker.Clear();
            db.AuditAction("UnlockRefused", nameof(Trial), change.TrialId.ToString(), new { Change = change.Id, LockedOut = check.IsLockedOut }, change.TrialId);
            await db.SaveChangesAsync(cancellationToken);
            return OperationResult.Fail(PasswordField, check.IsLockedOut ? "Too many wrong passwords: your account is locked for 15 minutes." : "The password is not right; nothing was unlocked.");
        }

        var now = clock.GetUtcNow();
        change.ApprovedByUserId = me.Id;
        change.ApprovedByName = me.DisplayName;
        change.AppliedAt = now;
        trial.LockLevel = change.ToLevel;
        db.AuditAction("UnlockDatabase", nameof(Trial), trial.Id.ToString(),
            new { From = change.FromLevel.ToString(), To = change.ToLevel.ToString(), change.Reason, RequestedBy = change.RequestedByName, ApprovedBy = me.DisplayName }, trial.Id);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync(TrialRoles.All, $"{trial.Code} is {change.ToLevel.Words()}",
            $"{change.RequestedByName} and {me.DisplayName} took the database of {trial.Code} from {change.FromLevel.Words()} to {change.ToLevel.Words()}. Reason: {change.Reason}",
            $"/trials/{trial.Code}/lock", db.CurrentActor, cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>Whoever asked, or any data manager, withdraws a waiting unlock.</summary>
    public async Task<OperationResult> WithdrawUnlockAsync(Guid changeId, CancellationToken cancellationToken = default)
    {
        await DemandDataManagerAsync();
        var change = await db.DatabaseLockChanges.SingleOrDefaultAsync(c => c.Id == changeId, cancellationToken);
        if (change is null || !change.IsPending)
        {
            return OperationResult.Fail("", "No such unlock is waiting.");
        }

        change.WithdrawnAt = clock.GetUtcNow();
        db.AuditAction("WithdrawUnlock", nameof(Trial), change.TrialId.ToString(), new { Change = change.Id }, change.TrialId);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }

    private static void CheckReason(OperationResult result, string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < 10 || reason.Length > 2000)
        {
            result.Add(ReasonField, "Give the reason (10 to 2000 characters).");
        }
    }

    private async Task DemandDataManagerAsync()
    {
        await me.DemandAsync(Policies.DatabaseLock);
        if (!me.IsInRole(TrialRoles.DataManager))
        {
            throw new OperationForbiddenException("Only a data manager locks a database or asks to unlock it.");
        }
    }
}
