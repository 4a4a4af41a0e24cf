namespace Bms.Replay.Engine;

/// <summary>The real assembly: chip emulator + driver + BmsSystem on a virtual clock (see <see cref="IReplayRig"/>).</summary>
public static class FirmwareRig
{
    public static IReplayRig Create(RigRequest request) =>
        throw new ReplayException("the firmware (BmsSystem) and the AFE emulators are not part of this build yet");
}
