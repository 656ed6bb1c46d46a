using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Participants;

public class DosingTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Diary_and_pill_count_give_adherence_flagged_below_eighty_percent_then_withdrawal_stops_data_entry()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "DOSE-01", kitsPerSite: 20);
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var assignment = (await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id))).Value!;

        // Ten days later (every third day from day 1: doses due on days 1, 4, 7 and 10).
        app.Clock.Advance(TimeSpan.FromDays(10));
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var page = await browser.GetAsync($"/participants/{id}");
        foreach (var (day, took) in new[] { ("1", "yes"), ("4", "yes"), ("7", "yes"), ("10", "no") })
        {
            page = await browser.SubmitAsync(page, "diary", ("StudyDay", day), ("took", took));
        }

        var adherence = page.Document.QuerySelector("[data-testid=adherence]")!.TextContent;
        Assert.Contains("75 %", adherence, StringComparison.Ordinal);
        Assert.Contains("3 of 4", adherence, StringComparison.Ordinal);
        Assert.Contains("below 80 %", adherence, StringComparison.Ordinal);

        var future = await browser.SubmitAsync(page, "diary", ("StudyDay", "11"), ("took", "yes"));
        Assert.Contains("from 1 to 10", future.Text, StringComparison.Ordinal);

        // The first kit comes back with 6 of 10 capsules: 4 used against 3 scheduled (days 1, 4, 7) = 100 % and one extra.
        var returned = await browser.SubmitAsync(future, "return-kit", ("KitCode", assignment.KitCode), ("UnusedUnits", "6"));
        Assert.Contains("100 %", returned.Document.QuerySelector("[data-testid=pill-count]")!.TextContent, StringComparison.Ordinal);
        var kit = await app.WithDbAsync(db => db.Kits.SingleAsync(k => k.Code == assignment.KitCode));
        Assert.Equal(KitState.Returned, kit.State);
        Assert.Equal(6, kit.UnusedUnitsReturned);
        var tooMany = await browser.SubmitAsync(returned, "diary", ("StudyDay", "abc"), ("took", "yes"));
        Assert.Contains("Enter a study day", tooMany.Text, StringComparison.Ordinal);

        var withdrawn = await browser.SubmitAsync(tooMany, "end-participation", ("EndKind", nameof(EndKind.WithdrawConsent)), ("EndReason", "Moved abroad"));
        Assert.Contains("Consent withdrawn: Moved abroad", withdrawn.Document.QuerySelector("[data-testid=withdrawn]")!.TextContent, StringComparison.Ordinal);
        var participant = await app.WithDbAsync(db => db.Participants.SingleAsync(p => p.Id == id));
        Assert.Equal(ParticipantStatus.Withdrawn, participant.Status);
        Assert.NotNull(participant.ConsentWithdrawnOn);
        Assert.Equal("R0001", participant.RandomizationNumber);

        var refused = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "W1", "DEP9", new Dictionary<string, string?> { ["d1"] = "1" }, false, null)));
        Assert.False(refused.Succeeded);
        Assert.Contains("left the trial", refused.Outcome.Errors[""].Single(), StringComparison.Ordinal);
        var audit = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.ParticipantId == id && e.Action == nameof(EndKind.WithdrawConsent)).SingleAsync());
        Assert.Equal("Moved abroad", audit.Reason);
    }

    [Fact]
    public async Task Site_staff_report_a_deviation_by_hand_and_an_empty_report_is_refused()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "DEV-01", kitsPerSite: 10);
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("investigator");
        var page = await browser.GetAsync($"/participants/{id}");

        var empty = await browser.SubmitAsync(page, "report-deviation", ("Deviation", " "));
        Assert.Contains("Describe the deviation", empty.Text, StringComparison.Ordinal);
        var reported = await browser.SubmitAsync(empty, "report-deviation", ("Deviation", "Took the capsule with grapefruit juice, against the instructions"));
        Assert.Contains("grapefruit", reported.Document.QuerySelector("[data-testid=deviations]")!.TextContent, StringComparison.Ordinal);
        var deviation = await app.WithDbAsync(db => db.ProtocolDeviations.SingleAsync(d => d.ParticipantId == id));
        Assert.Equal(DeviationKind.Reported, deviation.Kind);
        Assert.Equal("Ines Investigator", deviation.RaisedByName);
    }

    [Fact]
    public async Task Only_the_data_manager_corrects_stratification_with_a_reason_and_the_allocation_stands()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "STRAT-01", kitsPerSite: 10);
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1, _ => "baseline_severity=moderate")).Single();
        var assignment = (await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id))).Value!;

        await Assert.ThrowsAsync<TrialManager.Web.Authorization.OperationForbiddenException>(() => app.AsUserAsync("coordinator", s =>
            s.GetRequiredService<CorrectStratification>().ExecuteAsync(id, new Dictionary<string, string?> { ["baseline_severity"] = "moderately_severe" }, "wrong score")));

        using var manager = app.NewBrowser();
        await manager.SignInAsync("datamanager");
        var page = await manager.GetAsync($"/participants/{id}");
        var noReason = await manager.SubmitAsync(page, "correct-stratification", ("level.baseline_severity", "moderately_severe"), ("StratumReason", ""));
        Assert.Contains("needs its reason", noReason.Text, StringComparison.Ordinal);
        var corrected = await manager.SubmitAsync(noReason, "correct-stratification", ("level.baseline_severity", "moderately_severe"), ("StratumReason", "Baseline DEP9 item 4 was transcribed wrongly"));
        Assert.Contains("moderately_severe", corrected.Document.QuerySelector("[data-testid=stratum-levels]")!.TextContent, StringComparison.Ordinal);

        var participant = await app.WithDbAsync(db => db.Participants.SingleAsync(p => p.Id == id));
        Assert.Equal("baseline_severity=moderately_severe", participant.StratumLevels);
        Assert.Equal(assignment.RandomizationNumber, participant.RandomizationNumber);
        var slot = await app.WithDbAsync(db => db.RandomizationSlots.SingleAsync(s => s.ParticipantId == id));
        Assert.Equal($"LON|baseline_severity=moderate", slot.StratumKey);
        var audit = await app.WithDbAsync(db => db.AuditTrail.SingleAsync(e => e.ParticipantId == id && e.Action == "CorrectStratification"));
        Assert.Equal("Baseline DEP9 item 4 was transcribed wrongly", audit.Reason);
        Assert.Equal("Drew Data", audit.UserName);
    }
}
