using System.Reflection;

[assembly: AssemblyTitle("Bms.Calibration")]
[assembly: AssemblyDescription("Measures a board's nanoCLR speed in IL instructions per second")]
[assembly: AssemblyProduct("BmsFirmware")]
[assembly: AssemblyVersion("1.0.0.0")]
