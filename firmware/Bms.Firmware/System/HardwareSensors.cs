namespace Bms.Firmware.Composition
{
    // The folder is System/, the namespace is not Bms.Firmware.System: such a namespace would hide the BCL's
    // System namespace from every Bms.Firmware.* file that writes System.Xxx in full.

    /// <summary>A pack current sensor separate from the AFE (shunt amplifier or Hall sensor), used when the AFE has none (LTC681x chains).</summary>
    public interface IPackCurrentSensor
    {
        /// <summary>Reads the pack current, positive = charging. false when no valid value could be read.</summary>
        bool TryRead(out int current_mA);
    }

    /// <summary>Voltage on the load side of the contactors (HV link / DC bus), for precharge and weld checks.</summary>
    public interface ILinkVoltageSensor
    {
        /// <summary>Reads the link voltage. false when no valid value could be read.</summary>
        bool TryRead(out int link_mV);
    }
}
