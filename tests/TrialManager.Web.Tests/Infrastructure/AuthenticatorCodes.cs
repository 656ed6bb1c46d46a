namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// Hands out authenticator codes the app will accept: the app takes each code once only and reads time from the test's
/// fake clock, so when a key's current 30-second step has been used already, the clock moves on to the next step.
/// </summary>
public sealed class AuthenticatorCodes(FakeClock clock)
{
    private readonly Dictionary<string, long> _lastStep = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Next(string key)
    {
        var normalized = key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        lock (_gate)
        {
            var step = clock.GetUtcNow().ToUnixTimeSeconds() / 30;
            if (_lastStep.TryGetValue(normalized, out var last) && last >= step)
            {
                clock.Advance(TimeSpan.FromSeconds(30 * (last - step + 1)));
                step = last + 1;
            }

            _lastStep[normalized] = step;
            return Totp.Code(normalized, DateTimeOffset.FromUnixTimeSeconds(step * 30));
        }
    }
}
