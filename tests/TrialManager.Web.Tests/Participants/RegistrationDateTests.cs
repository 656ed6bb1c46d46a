using System.Globalization;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Participants;

/// <summary>The registration form's default consent date is today at the site, which is what the operation checks against.</summary>
public class RegistrationDateTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Between_midnight_utc_and_midnight_at_a_western_site_the_form_accepts_its_own_default_date()
    {
        // 02:00 UTC is still the evening before in Boston: the UTC date is "tomorrow" there.
        var utcTomorrow = DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime).AddDays(1);
        app.MoveClockTo(utcTomorrow, new TimeOnly(2, 0), TimeZoneInfo.Utc);
        var bostonToday = app.LocalToday(SafetyScenario.NewYork);
        Assert.NotEqual(utcTomorrow, bostonToday);

        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator.bos");
        var form = await browser.GetAsync("/participants/new");
        Assert.Equal(bostonToday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), form.ValueOf("register-consent-date"));

        var registered = await browser.SubmitAsync(form, "register-participant", ("Input.YearOfBirth", "1984"), ("Input.Sex", "female"), ("Input.ConsentFormVersion", "2.0"));
        Assert.StartsWith("/participants/", registered.Path, StringComparison.Ordinal);
        Assert.NotEqual("/participants/new", registered.Path);
    }
}
