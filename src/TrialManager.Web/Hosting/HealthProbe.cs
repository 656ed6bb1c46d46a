namespace TrialManager.Web.Hosting;

/// <summary>`TrialManager.Web healthcheck [url]`: exits 0 when /health answers Healthy. For container health checks, which have no curl.</summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var body = await client.GetStringAsync(new Uri(url));
            return body.Trim() == "Healthy" ? 0 : 1;
        }
        catch (HttpRequestException)
        {
            return 1;
        }
        catch (TaskCanceledException)
        {
            return 1;
        }
    }
}
