using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.BlindingIndex;

/// <summary>Site staff record respondents' guesses of the arm at the protocol's assessment visits; they never see results.</summary>
public class BlindingGuessTests(TrialApp app) : IClassFixture<TrialApp>
{
    private async Task<Guid> RandomizedAsync(string code)
    {
        var trial = await RandomizationTrial.CreateAsync(app, code);
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id))).Succeeded);
        return id;
    }

    private async Task<string> AssessmentVisitAsync(Guid id) =>
        (await app.Services.GetRequiredService<Web.Features.Protocols.TrialProtocols>().ForVersionAsync(
            await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.ProtocolVersionId).SingleAsync()))).BlindingAssessment.Visits[0];

    [Fact]
    public async Task A_guess_is_recorded_with_confidence_and_basis_and_a_change_needs_a_reason()
    {
        var id = await RandomizedAsync("GUESS1");
        var visit = await AssessmentVisitAsync(id);
        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        var page = await coordinator.GetAsync($"/participants/{id}/visits/{visit}/blinding");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var guessCode = page.Document.QuerySelector("[data-testid=blinding-participant] input[name=Guess]")!.GetAttribute("value")!;

        // Invalid input: messages beside the fields, entries kept, nothing saved.
        var bad = await coordinator.SubmitAsync(page, "blinding-participant", ("Guess", guessCode), ("Confidence", "150"));
        Assert.NotEmpty(bad.MessagesFor("participant-confidence"));
        Assert.Equal("150", bad.ValueOf("participant-confidence"));
        Assert.Equal(0, await app.WithDbAsync(db => db.BlindingGuesses.CountAsync(g => g.ParticipantId == id)));

        var saved = await coordinator.SubmitAsync(page, "blinding-participant", ("Guess", guessCode), ("Confidence", "70"), ("Basis", "side_effects"), ("Basis", "improvement"));
        Assert.Contains("answer recorded", saved.Text, StringComparison.Ordinal);
        var record = await app.WithDbAsync(db => db.BlindingGuesses.SingleAsync(g => g.ParticipantId == id));
        Assert.Equal((guessCode, 70, "side_effects|improvement"), (record.GuessCode, record.Confidence, record.Basis));

        var noReason = await coordinator.SubmitAsync(saved, "blinding-participant", ("Guess", guessCode), ("Confidence", "40"), ("Basis", "side_effects"));
        Assert.NotEmpty(noReason.MessagesFor("participant-reason"));
        await coordinator.SubmitAsync(saved, "blinding-participant", ("Guess", guessCode), ("Confidence", "40"), ("Basis", "side_effects"), ("Reason", "Participant corrected the answer at the visit"));
        Assert.Equal(40, await app.WithDbAsync(db => db.BlindingGuesses.Where(g => g.ParticipantId == id).Select(g => g.Confidence).SingleAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.ParticipantId == id && e.EntityType == "BlindingGuessRecord" && e.Reason == "Participant corrected the answer at the visit")));
    }

    [Fact]
    public async Task Only_site_staff_of_the_participants_site_record_and_only_at_assessment_visits()
    {
        var id = await RandomizedAsync("GUESS2");
        var visit = await AssessmentVisitAsync(id);
        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        Assert.Equal(HttpStatusCode.NotFound, (await bos.GetAsync($"/participants/{id}/visits/{visit}/blinding")).Status);
        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        Assert.Equal(HttpStatusCode.NotFound, (await coordinator.GetAsync($"/participants/{id}/visits/SCR/blinding")).Status);
        using var manager = app.NewBrowser();
        await manager.SignInAsync("datamanager");
        var denied = await manager.GetAsync($"/participants/{id}/visits/{visit}/blinding", follow: false);
        Assert.NotEqual(HttpStatusCode.OK, denied.Status);
    }
}
