using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Participants;

/// <summary>
/// The site worklist's visits due: each participant's own visit records decide, a visit done leaves the list, one past
/// its window shows as overdue, and another site's participants never appear.
/// </summary>
public class WorklistTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Visits_due_follow_each_participants_own_records_and_stay_at_their_site()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "WORK-01", kitsPerSite: 8, slotsPerStratum: 8);
        var london = await trial.AddEligibleParticipantsAsync(app, "LON", 2);
        var boston = await trial.AddEligibleParticipantsAsync(app, "BOS", 1);
        foreach (var (id, who) in london.Select(id => (id, "coordinator")).Append((boston[0], "coordinator.bos")))
        {
            var randomized = await app.AsUserAsync(who, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));
        }

        var numbers = await app.WithDbAsync(db => db.Participants.Where(p => p.TrialId == trial.TrialId).ToDictionaryAsync(p => p.Id, p => p.Number));

        // Week 1 (day 7, window two days either side) is due for both London participants on day 7; one records it.
        app.Clock.Advance(TimeSpan.FromDays(7));
        var done = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordVisit>().ExecuteAsync(london[0], "W1", SafetyScenario.Iso(app.LocalToday(SafetyScenario.London)), missed: false));
        Assert.True(done.Succeeded, SafetyScenario.Describe(done));

        using var coordinator = await app.SignedInAsync("coordinator");
        var due = await DueAsync(coordinator);
        Assert.DoesNotContain(due, v => v.Number == numbers[london[0]] && v.Visit == "W1");
        Assert.Contains(due, v => v.Number == numbers[london[1]] && v.Visit == "W1" && v.Status == "Due");
        Assert.DoesNotContain(due, v => v.Number == numbers[boston[0]]);

        // Past the window it is overdue, and still only for the one without a record.
        app.Clock.Advance(TimeSpan.FromDays(3));
        using var later = await app.SignedInAsync("coordinator");
        due = await DueAsync(later);
        Assert.Contains(due, v => v.Number == numbers[london[1]] && v.Visit == "W1" && v.Status == "Overdue");
        Assert.DoesNotContain(due, v => v.Number == numbers[london[0]] && v.Visit == "W1");
    }

    private static async Task<List<(string Number, string Visit, string Status)>> DueAsync(TestBrowser browser)
    {
        var page = await browser.GetAsync("/worklist");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        return [.. page.Document.QuerySelectorAll("[data-testid=visits-due] li").Select(li =>
        {
            var words = li.TextContent.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return (words[0], words[1], words[2]);
        })];
    }
}
