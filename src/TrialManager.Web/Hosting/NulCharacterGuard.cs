namespace TrialManager.Web.Hosting;

/// <summary>
/// Refuses, with a 400 that says why, any request whose address, query or form carries a NUL character, or whose form
/// the framework cannot read. PostgreSQL
/// text cannot hold NUL (it fails the whole statement), no keyboard types one, and stripping it would change what the
/// person sent, so the honest answer is to refuse the request before any page or operation sees it.
/// </summary>
public static class NulCharacterGuard
{
    public static IApplicationBuilder UseNulCharacterGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (await CarriesNulAsync(context.Request))
        {
            await PlainPage.WriteAsync(
                context,
                StatusCodes.Status400BadRequest,
                "The request could not be read",
                "It contained a NUL character (character code 0), or something else no field can hold. Nothing was saved. Go back, remove the character and try again.");
            return;
        }

        await next();
    });

    private static async Task<bool> CarriesNulAsync(HttpRequest request)
    {
        if ((request.Path.Value?.Contains('\0', StringComparison.Ordinal) ?? false)
            || request.Query.Any(q => q.Key.Contains('\0', StringComparison.Ordinal) || q.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) ?? false)))
        {
            return true;
        }

        if (!request.HasFormContentType)
        {
            return false;
        }

        IFormCollection form;
        try
        {
            // Buffered by the framework: the page reads the same parsed form afterwards.
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException)
        {
            // The framework's form reader itself refuses some bodies (a NUL among them, or a value over its size limit);
            // answer those here too, with the reason, rather than as a missing antiforgery token further on.
            return true;
        }

        return form.Any(f => f.Key.Contains('\0', StringComparison.Ordinal) || f.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) ?? false))
            || form.Files.Any(f => f.Name.Contains('\0', StringComparison.Ordinal) || f.FileName.Contains('\0', StringComparison.Ordinal));
    }
}
