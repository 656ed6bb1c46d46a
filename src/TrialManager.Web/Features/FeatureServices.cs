using TrialManager.Web.Components.Shared;
using TrialManager.Web.Features.Administration;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features;

public static class FeatureServices
{
    /// <summary>One class per operation, each a scoped service that its page calls.</summary>
    public static IServiceCollection AddFeatureOperations(this IServiceCollection services)
    {
        services.AddScoped<StatusCookie>();
        services.AddScoped<CreateUser>();
        services.AddScoped<UpdateUserAccess>();
        services.AddScoped<SetUserDisabled>();
        services.AddScoped<IssueOneTimePassword>();
        services.AddScoped<ProtocolImporter>();
        services.AddScoped<ImportProtocol>();
        return services;
    }
}
