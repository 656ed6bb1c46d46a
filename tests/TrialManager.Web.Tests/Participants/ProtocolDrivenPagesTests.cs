using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Participants;

/// <summary>Both shipped protocols drive the screening page and every case report form with no code written for either.</summary>
public class ProtocolDrivenPagesTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Theory]
    [InlineData("psilocybin-mdd.yaml")]
    [InlineData("lsd-gad.yaml")]
    public async Task Every_question_and_every_field_of_the_protocol_is_on_its_page(string file)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", file));
        var protocol = ProtocolLoader.Load(text, file).Protocol!;
        await app.AsUserAsync("admin", s => s.GetRequiredService<ProtocolImporter>().ImportAsync(text, file, new ProtocolImportActor("test", "test")));

        // A participant at the protocol's first site, whose coordinator is the demo coordinator.
        var participantId = await app.WithDbAsync(async db =>
        {
            db.AuditActorOverride = TrialManager.Web.Data.Audit.AuditActor.System("test setup");
            var trial = await db.Trials.SingleAsync(t => t.Code == protocol.Code);
            var site = await db.Sites.SingleAsync(s => s.Code == protocol.Sites[0].Code);
            var coordinator = await db.Users.SingleAsync(u => u.Email == app.Account("coordinator").Email);
            if (!await db.SiteMemberships.AnyAsync(m => m.UserId == coordinator.Id && m.SiteId == site.Id))
            {
                db.SiteMemberships.Add(new SiteMembership { UserId = coordinator.Id, SiteId = site.Id });
            }

            var participant = new Participant
            {
                TrialId = trial.Id,
                SiteId = site.Id,
                Number = site.Code + "-900",
                YearOfBirth = 1980,
                Sex = "female",
                ProtocolVersionId = await db.ProtocolVersions.Where(v => v.TrialId == trial.Id).Select(v => v.Id).SingleAsync(),
                Status = ParticipantStatus.Registered,
                ConsentedOn = new DateOnly(2026, 11, 1),
                CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Participants.Add(participant);
            await db.SaveChangesAsync();
            return participant.Id;
        });

        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var screening = await browser.GetAsync($"/participants/{participantId}/screening");
        Assert.Equal(HttpStatusCode.OK, screening.Status);
        foreach (var criterion in protocol.Eligibility.Criteria)
        {
            Assert.NotNull(screening.Document.GetElementById("q-" + criterion.Code));
        }

        foreach (var visit in protocol.Visits)
        {
            foreach (var formCode in visit.Forms)
            {
                var form = protocol.FindForm(formCode)!;
                var page = await browser.GetAsync($"/participants/{participantId}/visits/{visit.Code}/forms/{formCode}");
                Assert.Equal(HttpStatusCode.OK, page.Status);
                Assert.Contains(form.Title, page.Text, StringComparison.Ordinal);
                foreach (var field in form.Fields)
                {
                    Assert.True(
                        page.Document.GetElementById("field-" + field.Code) is not null || page.Document.QuerySelector($"[id^='field-{field.Code}-']") is not null,
                        $"{file} {visit.Code}/{formCode}: no input for field {field.Code}");
                }
            }
        }
    }
}
