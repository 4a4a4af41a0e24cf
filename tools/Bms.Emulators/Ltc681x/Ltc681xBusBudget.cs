using Bms.Drivers.Ltc681x;

namespace Bms.Emulators.Ltc681x;

/// <summary>
/// The fewest bytes any host must clock through the LTC6820 for one complete scan of a chain, from the
/// protocol alone: the isoSPI ports idle out within tIDLE (4.3 ms min) so a scan every 100 ms starts with at
/// least one wake-up byte; one ADCV (4 bytes: command + PEC); one read per cell register group (4 bytes of
/// command + 8 bytes per device: 6 data + 2 PEC); and when thermistors are read, one ADAX and one read per aux
/// group holding GPIO1..gpioCount. Anything a driver adds (configuration check, register clears, retries) is
/// overhead measured against this.
/// </summary>
public static class Ltc681xBusBudget
{
    public const int CommandBytes = 4;
    public const int BytesPerDevicePerGroup = 8;
    public const int WakeUpBytes = 1;

    /// <summary>Minimum bytes for one scan of <paramref name="devices"/> devices reading thermistors on GPIO1..<paramref name="gpioCount"/>.</summary>
    public static int MinimumBytesPerScan(Ltc681xVariant variant, int devices, int gpioCount)
    {
        if (devices < 1) throw new ArgumentOutOfRangeException(nameof(devices));
        if (gpioCount < 0 || gpioCount > Ltc681xVariantInfo.GpioCount(variant))
            throw new ArgumentOutOfRangeException(nameof(gpioCount), $"{variant} has {Ltc681xVariantInfo.GpioCount(variant)} GPIOs");
        int groupRead = CommandBytes + BytesPerDevicePerGroup * devices;
        int bytes = WakeUpBytes + CommandBytes + Ltc681xVariantInfo.CellGroupCount(variant) * groupRead;
        if (gpioCount > 0)
        {
            int groups = 0;
            for (int g = 0; g < 4; g++)
            {
                int first = g switch { 0 => 1, 1 => 4, 2 => 6, _ => 9 };
                if (first <= gpioCount) groups++;
            }
            bytes += CommandBytes + groups * groupRead;
        }
        return bytes;
    }

    /// <summary>
    /// Minimum bytes per scan, as the mean over a cycle of <paramref name="temperatureScanInterval"/> scans of
    /// which one reads the thermistors (rounded down): what <c>Ltc681xConfiguration.TemperatureScanInterval</c>
    /// asks for, and what the driver's <c>LastScanBusBytes</c> reports in that case.
    /// </summary>
    public static int MinimumBytesPerScan(Ltc681xVariant variant, int devices, int gpioCount, int temperatureScanInterval)
    {
        if (temperatureScanInterval < 1) throw new ArgumentOutOfRangeException(nameof(temperatureScanInterval));
        int full = MinimumBytesPerScan(variant, devices, gpioCount);
        int cellsOnly = MinimumBytesPerScan(variant, devices, 0);
        return (full + (temperatureScanInterval - 1) * cellsOnly) / temperatureScanInterval;
    }
}
