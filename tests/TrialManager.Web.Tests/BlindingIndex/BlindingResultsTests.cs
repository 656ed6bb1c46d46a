using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Documents.Tests;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Features.Blinding;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.BlindingIndex;

/// <summary>The blinding indices from recorded guesses: right numbers, for unblinded roles only, in the DSMB report too.</summary>
public class BlindingResultsTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task The_indices_match_a_hand_count_and_only_unblinded_roles_see_them()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "BINDEX");
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 10);
        foreach (var id in ids)
        {
            Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id))).Succeeded);
        }

        var arms = await app.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId);
        var visit = trial.Protocol.BlindingAssessment.Visits[0];

        // Active participants: every one guesses "active". Control participants: alternately "placebo" and "don't know".
        int controlCount = 0, controlCorrect = 0, controlDontKnow = 0, activeCount = 0;
        foreach (var id in ids)
        {
            string guess;
            if (arms[id] == RandomizationTrial.ActiveCode)
            {
                guess = "active";
                activeCount++;
            }
            else
            {
                guess = controlCount % 2 == 0 ? "placebo" : "unsure";
                controlCorrect += guess == "placebo" ? 1 : 0;
                controlDontKnow += guess == "unsure" ? 1 : 0;
                controlCount++;
            }

            var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordBlindingGuess>().ExecuteAsync(id, visit, BlindingRespondent.Participant,
                new BlindingGuessInput { Guess = guess, Confidence = "60", Basis = guess == "unsure" ? [] : ["side_effects"] }));
            Assert.True(saved.Succeeded, string.Join(" ", saved.Errors.SelectMany(e => e.Value)));
        }

        Assert.True(activeCount > 0 && controlCount > 0, "the list should give both arms among ten participants");
        var expectedActive = 1.0;                                   // all correct, none wrong
        var expectedControl = (double)controlCorrect / controlCount; // correct minus zero incorrect

        using var safety = app.NewBrowser();
        await app.EnrolAuthenticatorAsync("safety");
        await safety.SignInAsync("safety");
        var page = await safety.GetAsync($"/trials/{trial.Code}/blinding");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(expectedActive.ToString("0.00", CultureInfo.InvariantCulture), page.Text, StringComparison.Ordinal);
        Assert.Contains(expectedControl.ToString("0.00", CultureInfo.InvariantCulture), page.Text, StringComparison.Ordinal);
        Assert.Contains("possible unblinding", page.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.TrialId == trial.TrialId && e.Action == "ViewBlindingIndices")));

        // The same section is in the DSMB's closed report PDF.
        var pdf = await safety.GetAsync($"/trials/{trial.Code}/dsmb/closed.pdf");
        var text = Poppler.Text(await pdf.Response.Content.ReadAsByteArrayAsync());
        Assert.Contains("Blinding integrity", text, StringComparison.Ordinal);
        Assert.Contains(expectedControl.ToString("0.00", CultureInfo.InvariantCulture), text, StringComparison.Ordinal);

        foreach (var local in new[] { "coordinator", "investigator", "datamanager" })
        {
            using var blinded = app.NewBrowser();
            await blinded.SignInAsync(local);
            var denied = await blinded.GetAsync($"/trials/{trial.Code}/blinding", follow: false);
            Assert.True(denied.Status == HttpStatusCode.Forbidden || (denied.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal), local);
            await Assert.ThrowsAsync<Web.Authorization.OperationForbiddenException>(() => app.AsUserAsync(local, s => s.GetRequiredService<BlindingResults>().ComputeAsync(trial.TrialId)));
        }
    }
}
