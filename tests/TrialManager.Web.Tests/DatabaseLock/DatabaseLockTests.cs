using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.DatabaseLock;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.DatabaseLock;

/// <summary>
/// The database lock: a soft lock stops new data but lets queries close and investigators sign; a hard lock stops
/// everything; a write that reaches a locked trial is refused whole, whichever way it comes (operation, page, or a
/// save of any record type); unlocking takes two people and a reason, and never happens after final unblinding.
/// </summary>
public class DatabaseLockTests(TrialApp app) : IClassFixture<TrialApp>
{
    private async Task<(RandomizationTrial Trial, Guid Participant, Guid Entry)> TrialWithFormAsync(string code)
    {
        var trial = await RandomizationTrial.CreateAsync(app, code);
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1))[0];
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id))).Succeeded);
        // Days pass, so diary days and the first week's visit are in the past.
        app.Clock.Advance(TimeSpan.FromDays(8));
        // Every form of the randomization visit, complete, so the visit can be signed.
        var entries = new Dictionary<string, Guid>();
        foreach (var form in trial.Protocol.FormsDueAt(trial.Protocol.RandomizationVisit))
        {
            var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "D0", form.Code, Values(form), true, null)));
            Assert.True(saved.Succeeded, string.Join(" ", saved.Outcome.Errors.SelectMany(e => e.Value)));
            entries[form.Code] = saved.Value!.Id;
        }

        return (trial, id, entries["VITALS"]);
    }

    private static Dictionary<string, string?> Values(FormDefinition form, int shift = 0) =>
        form.Fields.ToDictionary(f => f.Code, f => (string?)(f.Type switch
        {
            FieldType.SingleChoice or FieldType.MultipleChoice => f.Choices[0].Code,
            FieldType.YesNo => "no",
            FieldType.Date => "2026-11-01",
            FieldType.Integer or FieldType.Decimal => ((int)(((f.Minimum ?? 0) + (f.Maximum ?? f.Minimum ?? 0)) / 2) + shift).ToString(CultureInfo.InvariantCulture),
            _ => "ok",
        }));

    private Task<OperationResult> LockAsync(Guid trialId, TrialLockLevel level) =>
        app.AsUserAsync("datamanager", s => s.GetRequiredService<TrialLocks>().LockAsync(trialId, level.ToString(), "Last participant's last visit is entered and clean"));

    /// <summary>The write reached the save and the lock refused it (not an earlier validation message).</summary>
    private static async Task RefusedAsync<T>(Func<Task<T>> write)
    {
        object? outcome = null;
        var error = await Record.ExceptionAsync(async () => outcome = await write());
        var said = outcome switch
        {
            OperationResult r => string.Join(" ", r.Errors.SelectMany(e => e.Value)),
            _ when outcome?.GetType().GetProperty("Outcome")?.GetValue(outcome) is OperationResult r => string.Join(" ", r.Errors.SelectMany(e => e.Value)),
            _ => outcome?.ToString(),
        };
        Assert.True(error is TrialLockedException, $"Expected the lock to refuse the write; got {error?.ToString() ?? "a result: " + said}");
    }

    private Task<long> AuditCountAsync() => app.WithDbAsync(db => db.AuditTrail.LongCountAsync());

    [Fact]
    public void Every_entity_type_of_the_model_says_what_a_lock_does_to_it()
    {
        using var scope = app.Services.CreateScope();
        var model = scope.ServiceProvider.GetRequiredService<TrialDbContext>().Model;
        var missing = model.GetEntityTypes().Where(t => !t.IsOwned()).Select(t => t.ClrType)
            .Where(t => !DatabaseLockGuard.Rules.ContainsKey(t)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, $"Entity types without a lock rule in DatabaseLockGuard.Rules: {string.Join(", ", missing)}");

        // Whatever holds a trial's data names its trial or its participant, or the guard could not find its lock.
        var unscoped = model.GetEntityTypes()
            .Where(t => DatabaseLockGuard.Rules[t.ClrType] != DatabaseLockGuard.Rule.Unaffected)
            .Where(t => t.FindProperty("TrialId") is null && t.FindProperty("ParticipantId") is null && t.FindProperty("ListId") is null)
            .Select(t => t.ClrType.Name).ToList();
        Assert.Empty(unscoped);
    }

    [Fact]
    public async Task A_soft_lock_stops_new_data_but_lets_queries_be_answered_and_closed_and_investigators_sign()
    {
        var (trial, id, entry) = await TrialWithFormAsync("LOCK-SOFT");
        var raised = await app.AsUserAsync("datamanager", s => s.GetRequiredService<DataQueryWorkflow>().RaiseAsync(entry, "systolic", "Please confirm the systolic pressure against the source"));
        Assert.True(raised.Succeeded);
        var queryId = await app.WithDbAsync(db => db.DataQueries.Where(q => q.FormEntryId == entry).Select(q => q.Id).SingleAsync());

        Assert.True((await LockAsync(trial.TrialId, TrialLockLevel.Soft)).Succeeded);
        Assert.Equal(TrialLockLevel.Soft, await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trial.TrialId).Select(t => t.LockLevel).SingleAsync()));

        // New or changed data: refused whole, nothing saved and nothing audited as saved.
        var before = await AuditCountAsync();
        var values = Values(trial.Protocol.FindForm("VITALS")!, shift: 1);
        await RefusedAsync(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "D0", "VITALS", values, true, "Transcription error"))));
        await RefusedAsync(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDiary>().ExecuteAsync(id, "3", true)));
        await RefusedAsync(() => app.AsUserAsync("datamanager", s => s.GetRequiredService<DataQueryWorkflow>().RaiseAsync(entry, "diastolic", "A second question after the lock")));
        Assert.Equal(before, await AuditCountAsync());
        Assert.Equal(1, await app.WithDbAsync(db => db.DataQueries.CountAsync(q => q.FormEntryId == entry)));

        // The open query is answered and closed; the investigator signs the visit.
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<DataQueryWorkflow>().AnswerAsync(queryId, "Confirmed against the clinic chart"))).Succeeded);
        Assert.True((await app.AsUserAsync("datamanager", s => s.GetRequiredService<DataQueryWorkflow>().ResolveAsync(queryId, true))).Succeeded);
        Assert.Equal(QueryStatus.Closed, await app.WithDbAsync(db => db.DataQueries.Where(q => q.Id == queryId).Select(q => q.Status).SingleAsync()));
        var signed = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignVisit>().ExecuteAsync(id, "D0", "Reviewed and approved", app.Account("investigator").Password));
        Assert.True(signed.Succeeded, string.Join(" ", signed.Errors.SelectMany(e => e.Value)));
    }

    [Fact]
    public async Task A_hard_lock_needs_every_query_closed_and_then_nothing_changes()
    {
        var (trial, id, entry) = await TrialWithFormAsync("LOCK-HARD");
        Assert.True((await app.AsUserAsync("datamanager", s => s.GetRequiredService<DataQueryWorkflow>().RaiseAsync(entry, "systolic", "Please confirm the systolic pressure against the source"))).Succeeded);
        var queryId = await app.WithDbAsync(db => db.DataQueries.Where(q => q.FormEntryId == entry).Select(q => q.Id).SingleAsync());

        var early = await LockAsync(trial.TrialId, TrialLockLevel.Hard);
        Assert.Contains("not closed", string.Join(" ", early.Errors[TrialLocks.LevelField]), StringComparison.Ordinal);
        Assert.Equal(TrialLockLevel.Open, await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trial.TrialId).Select(t => t.LockLevel).SingleAsync()));
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<DataQueryWorkflow>().AnswerAsync(queryId, "Confirmed against the clinic chart"))).Succeeded);
        Assert.True((await app.AsUserAsync("datamanager", s => s.GetRequiredService<DataQueryWorkflow>().ResolveAsync(queryId, true))).Succeeded);

        var eligible = (await trial.AddEligibleParticipantsAsync(app, "LON", 1))[0];
        Assert.True((await LockAsync(trial.TrialId, TrialLockLevel.Hard)).Succeeded);
        var lon = await app.SiteIdAsync("LON");
        var kit = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).Select(k => k.Code).FirstAsync());

        var randomizedAt = await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.RandomizedAt!.Value).SingleAsync());
        var week1 = DateOnly.FromDateTime(randomizedAt.UtcDateTime).AddDays(7).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var before = await AuditCountAsync();
        var kitsBefore = await app.WithDbAsync(db => db.Kits.CountAsync(k => k.TrialId == trial.TrialId && k.State == KitState.AtSite));
        await RefusedAsync(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(eligible)));
        await RefusedAsync(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordVisit>().ExecuteAsync(id, "W1", week1, false)));
        await RefusedAsync(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<ReportAdverseEvent>().InitialAsync(id, app.NonSerious("LON"))));
        await RefusedAsync(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordSiteKitEvent>().ExecuteAsync(trial.TrialId, lon, kit, SiteKitAction.Quarantine, "Seal looks broken on the shelf")));
        await RefusedAsync(() => app.AsUserAsync("investigator", s => s.GetRequiredService<SignVisit>().ExecuteAsync(id, "D0", "Reviewed and approved", app.Account("investigator").Password)));
        Assert.Equal(before, await AuditCountAsync());
        Assert.Equal(kitsBefore, await app.WithDbAsync(db => db.Kits.CountAsync(k => k.TrialId == trial.TrialId && k.State == KitState.AtSite)));
        Assert.Equal(ParticipantStatus.Eligible, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == eligible).Select(p => p.Status).SingleAsync()));

        // An amendment is trial data too.
        var amended = RandomizationTrial.ProtocolText(trial.Code, 20, 60).Replace("version: \"1.0\"", "version: \"1.1\"", StringComparison.Ordinal)
            .Replace("title:", "title: Amended", StringComparison.Ordinal);
        await RefusedAsync(() => app.AsUserAsync("admin", s => s.GetRequiredService<ProtocolImporter>().ImportAsync(amended, trial.Code + "-1.1.yaml", new ProtocolImportActor("test", "test"))));
        Assert.Equal(1, await app.WithDbAsync(db => db.ProtocolVersions.CountAsync(v => v.TrialId == trial.TrialId)));
    }

    [Fact]
    public async Task Any_save_of_a_locked_trials_records_is_refused_even_one_no_operation_checked()
    {
        var (trial, id, entry) = await TrialWithFormAsync("LOCK-RAW");
        Assert.True((await LockAsync(trial.TrialId, TrialLockLevel.Soft)).Succeeded);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
        db.AuditActorOverride = AuditActor.System("test");

        // A record found only through its participant (no trial column) is still caught.
        var value = await db.FormValues.FirstAsync(v => v.FormEntryId == entry);
        value.Value = "999";
        await Assert.ThrowsAsync<TrialLockedException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        db.DiaryEntries.Add(new DiaryEntry { ParticipantId = id, SiteId = await app.SiteIdAsync("LON"), StudyDay = 40, TookDose = true, RecordedAt = DateTimeOffset.UtcNow, RecordedByName = "x" });
        await Assert.ThrowsAsync<TrialLockedException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        var participant = await db.Participants.SingleAsync(p => p.Id == id);
        db.Participants.Remove(participant);
        await Assert.ThrowsAsync<TrialLockedException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();

        Assert.False(await app.WithDbAsync(d => d.FormValues.AnyAsync(v => v.FormEntryId == entry && v.Value == "999")));
        Assert.True(await app.WithDbAsync(d => d.Participants.AnyAsync(p => p.Id == id)));

        // Records the lock leaves alone still save, and so do another (open) trial's.
        db.Notifications.Add(new Notification { UserId = await app.UserIdAsync("datamanager"), Subject = "s", Body = "b", Link = "/", CreatedAt = DateTimeOffset.UtcNow });
        var other = (await (await RandomizationTrial.CreateAsync(app, "LOCK-RAW-OPEN")).AddEligibleParticipantsAsync(app, "LON", 1))[0];
        db.DiaryEntries.Add(new DiaryEntry { ParticipantId = other, SiteId = await app.SiteIdAsync("LON"), StudyDay = 40, TookDose = true, RecordedAt = DateTimeOffset.UtcNow, RecordedByName = "x" });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task A_form_posted_to_a_locked_trial_gets_a_clear_409_and_its_pages_offer_no_forms()
    {
        var (trial, id, _) = await TrialWithFormAsync("LOCK-PAGE");
        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        var form = await coordinator.GetAsync($"/participants/{id}/visits/D0/forms/VITALS");
        Assert.Null(form.Document.QuerySelector("[data-testid=lock-banner]"));

        Assert.True((await LockAsync(trial.TrialId, TrialLockLevel.Hard)).Succeeded);
        var refused = await coordinator.SubmitAsync(form, "crf", (SaveForm.FieldPrefix + "systolic", "150"), (SaveForm.ReasonField, "Transcription error found at monitoring"), ("action", "complete"));
        Assert.True(refused.Status == HttpStatusCode.Conflict, $"{refused.Status} {refused.Path}: {refused.Text}");
        Assert.Contains("hard-locked", refused.Text, StringComparison.Ordinal);
        Assert.Contains("Nothing was saved", refused.Text, StringComparison.Ordinal);

        var locked = await coordinator.GetAsync($"/participants/{id}/visits/D0/forms/VITALS");
        Assert.NotNull(locked.Document.QuerySelector("[data-testid=lock-banner]"));
        Assert.All(locked.Document.QuerySelectorAll("form[method=post] input:not([type=hidden])"), i => Assert.True(i.HasAttribute("disabled")));
        var participant = await coordinator.GetAsync($"/participants/{id}");
        Assert.NotNull(participant.Document.QuerySelector("[data-testid=lock-banner]"));
        foreach (var handler in new[] { "diary", "return-kit", "report-deviation", "end-participation", "visit-W1" })
        {
            Assert.DoesNotContain($"value=\"{handler}\"", participant.Html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unlocking_takes_a_second_person_their_password_and_a_reason_and_is_audited()
    {
        var (trial, _, _) = await TrialWithFormAsync("LOCK-UN");
        Assert.True((await LockAsync(trial.TrialId, TrialLockLevel.Hard)).Succeeded);
        Assert.False((await LockAsync(trial.TrialId, TrialLockLevel.Soft)).Succeeded);
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<TrialLocks>().LockAsync(trial.TrialId, "Hard", "Not my call to make at all")));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("admin", s => s.GetRequiredService<TrialLocks>().RequestUnlockAsync(trial.TrialId, "Soft", "Administrators do not ask for unlocks")));

        var noReason = await app.AsUserAsync("datamanager", s => s.GetRequiredService<TrialLocks>().RequestUnlockAsync(trial.TrialId, "Soft", "late"));
        Assert.True(noReason.Errors.ContainsKey(TrialLocks.ReasonField));
        Assert.True((await app.AsUserAsync("datamanager", s => s.GetRequiredService<TrialLocks>().RequestUnlockAsync(trial.TrialId, "Soft", "Site LON found a transcription error in a vital sign"))).Succeeded);
        var change = await app.WithDbAsync(db => db.DatabaseLockChanges.Where(c => c.TrialId == trial.TrialId && c.AppliedAt == null).Select(c => c.Id).SingleAsync());

        // Still hard-locked: the same person cannot approve, a wrong password changes nothing.
        Assert.False((await app.AsUserAsync("datamanager", s => s.GetRequiredService<TrialLocks>().ApproveUnlockAsync(change, app.Account("datamanager").Password))).Succeeded);
        var wrong = await app.AsUserAsync("admin", s => s.GetRequiredService<TrialLocks>().ApproveUnlockAsync(change, "not the password"));
        Assert.True(wrong.Errors.ContainsKey(TrialLocks.PasswordField));
        Assert.Equal(TrialLockLevel.Hard, await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trial.TrialId).Select(t => t.LockLevel).SingleAsync()));

        Assert.True((await app.AsUserAsync("admin", s => s.GetRequiredService<TrialLocks>().ApproveUnlockAsync(change, app.Account("admin").Password))).Succeeded);
        Assert.Equal(TrialLockLevel.Soft, await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trial.TrialId).Select(t => t.LockLevel).SingleAsync()));
        var actions = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.TrialId == trial.TrialId && e.EntityType == nameof(Trial)).OrderBy(e => e.ChainSeq).Select(e => e.Action).ToListAsync());
        Assert.True(
            actions.Where(a => a is not ("Create" or "Update")).SequenceEqual(["ImportProtocol", "LockDatabase", "RequestUnlock", "UnlockRefused", "UnlockDatabase"]),
            string.Join(", ", actions));
        var history = await app.WithDbAsync(db => db.DatabaseLockChanges.Where(c => c.TrialId == trial.TrialId).OrderBy(c => c.RequestedAt).ToListAsync());
        Assert.Equal(2, history.Count);
        Assert.Equal(await app.UserIdAsync("admin"), history[1].ApprovedByUserId);
    }
}
